#!/usr/bin/python3
"""gen_dicts.py: writes the de-identification dictionaries (one entry per line, lower case) into this folder.

The lists are written by hand for medlabel (common US given names and surnames, and Hispanic, Chinese
pinyin, Korean, Vietnamese, Arabic, South Asian, African, Eastern European and other names; US places;
countries; clinical words and eponyms that are not names). They were not built from any annotated note.
ambiguous.txt is derived: the names and places that are also ordinary English words, taken from the
system word list (/usr/share/dict/american-english, Debian package wamerican) when it is present; the
engine needs more context before it calls such a word a name. Run: /usr/bin/python3 gen_dicts.py

Sources and licences of the name lists:
  - the hand-written lists below (FIRST, LAST): written for medlabel, same licence as medlabel;
  - given names and surnames of the Faker person providers of Debian's python3-fake-factory 0.9.3
    (/usr/lib/python3/dist-packages/faker/providers/person/LOCALE/, MIT licence, Copyright (c) 2012 Daniele
    Faraglia), for the Latin-script locales in FAKER_LOCALES; when the package is absent the lists keep only
    the hand-written names (a note is printed). The locales in FAKER_HELD_OUT are never read: their names are
    the held-out test names of tests/unit/test_deid_heldout.c, so that test measures names the dictionaries
    and the rules were not tuned on.
  - english_words.txt and ambiguous.txt: Debian's wamerican (/usr/share/dict/american-english, public
    domain / freely redistributable, see /usr/share/doc/wamerican/copyright).
"""
import importlib
import os
import re
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))

FIRST = """
james john robert michael william david richard joseph thomas charles christopher daniel matthew anthony mark
donald steven paul andrew joshua kenneth kevin brian george timothy ronald edward jason jeffrey ryan jacob gary
nicholas eric jonathan stephen larry justin scott brandon benjamin samuel gregory alexander frank patrick
raymond jack dennis jerry tyler aaron jose adam nathan henry douglas zachary peter kyle ethan walter noah
jeremy christian keith roger terry gerald harold sean austin carl arthur lawrence dylan jesse jordan bryan
billy joe bruce gabriel logan albert willie alan juan wayne elijah randy roy vincent ralph eugene russell
bobby mason philip louis harry howard fred ernest martin craig stanley shawn travis phillip todd earl clarence
leonard dale glenn jimmy antonio luis mike victor danny allen curtis herbert manuel marvin francis leroy
theodore ted norman stuart lloyd milton floyd melvin leon gordon wallace warren clifford calvin vernon chester
lester oscar hugh neil edwin everett cecil otis homer irving seymour sheldon morris herman virgil elmer alvin
franklin nelson marshall wendell lowell roland rodney darrell troy derek brett marcus kurt grant dean spencer
mitchell garrett colin evan caleb isaac owen luke connor cameron hunter levi isaiah wyatt landon carter jayden
liam lucas oliver aiden elias miles silas jasper felix hugo max maxwell declan finn rowan emmett theo ezra
mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty margaret sandra ashley
kimberly emily donna michelle carol amanda dorothy melissa deborah stephanie rebecca sharon laura cynthia kathleen
amy angela shirley anna brenda pamela emma nicole helen samantha katherine christine debra rachel carolyn janet
catherine maria heather diane ruth julie olivia joyce virginia victoria kelly lauren christina joan evelyn
judith megan andrea cheryl hannah jacqueline martha gloria teresa ann sara madison frances kathryn janice jean
abigail alice judy sophia grace denise amber doris marilyn danielle beverly isabella theresa diana natalie
brittany charlotte marie kayla alexis lori tammy jane wanda peggy sue ellen irene eleanor norma phyllis
mildred lillian edna gladys esther ethel florence rose josephine hazel lucille pearl thelma gertrude bernice
agnes marion vera myrtle louise mabel ida ella elsie minnie bessie lois marjorie jeanette geraldine rita
darlene bonnie paula annie wilma yvonne dolores maureen colleen eileen kathy cathy kate katie kathryn jen jenny
jill joanne lorraine sally tina tracy wendy dawn holly leslie erin carrie allison alison kristen kristin
krista courtney brooke chelsea tiffany vanessa erica monica veronica natasha whitney haley hailey madeline
chloe zoe lily ava mia harper aria ella scarlett nora layla riley penelope lillian addison aubrey stella
savannah claire audrey bella skylar lucy paisley everly caroline nova genesis emilia kennedy maya willow
naomi elena sadie quinn piper ruby serenity eva leah autumn hazel violet aurora ivy delilah clara vivian
margot iris june daisy eloise josie wren thea hope faith joy dawn april
bob bill tom tim jim jimmy tommy ben dan danny dave steve stevie mike mikey joe joey rick ricky rich dick
greg jeff ken kenny larry ron ronnie don donnie ed eddie fred freddie frank frankie gene hank jerry matt
nick pat pete phil ray sam sandy stan ted teddy tony walt will willy chuck chip doug drew gabe jake jon josh
liz beth betsy becky bev cindy debbie deb dot dottie ellie gail ginny jackie jo judy kim kris lynn lynne
maggie meg molly nan nancy pam patty peggy penny polly sandy sue susie terri trish val vicki viv
# Hispanic
jose luis carlos juan jorge pedro miguel manuel francisco javier alejandro fernando ricardo roberto eduardo
sergio raul rafael ramon ruben hector arturo alberto andres diego enrique gerardo guillermo ignacio jaime
joaquin julio lorenzo marco mario mauricio nicolas oscar pablo rodrigo salvador santiago tomas victor
alfredo armando cesar emilio esteban felipe gustavo hugo ivan jesus leonardo martin octavio orlando rolando
maria carmen ana rosa isabel guadalupe lucia sofia valentina camila daniela gabriela mariana fernanda
alejandra andrea paola adriana beatriz carolina claudia cristina elena esperanza estela eva gloria ines
juana leticia lourdes luz marisol marta mercedes monica norma patricia pilar raquel rocio silvia susana
teresa veronica ximena yolanda alma araceli blanca consuelo dolores graciela irma josefina lorena maribel
milagros nayeli perla reyna rosario soledad yesenia zoila itzel xochitl
# Chinese (pinyin), Korean, Vietnamese, Japanese
wei fang min jing li ling hui yan lei jun jie hao ming hong xin yu yi ying hua qing xiao xiaoming xiaoling
xiaoyan xiaohong jianguo jianhua jian guang zhiwei zhihao zhiqiang weiwei lili lina jingjing yanyan meiling
mei lan ping qiang tao bo chen feng gang hai kai lin long peng rui shan tian ting xue yang yong yun zhen
zhong zihan yuxuan haoran yichen ruoxi xinyi shuang dan na jia jiahui
minjun seojun jihoon jiwoo seoyeon jiyeon minji soojin hyun jisoo eunji jinho sungmin youngho kyung
nguyen minh anh duc hung linh thanh tuan huong lan mai phuong quang thao trang trung vinh dung hoa khanh
hiroshi takeshi kenji yuki haruto sota yuto hana yui aoi sakura akiko keiko naoko yoko kazuo satoshi
# Arabic, Persian, Turkish
mohammed muhammad mohamed ahmed ahmad ali omar hassan hussein hussain ibrahim khalid mahmoud mustafa
youssef yousef yusuf karim kareem nabil samir tariq walid ziad fadi rami hani bilal jamal khaled majid
nasser rashid saeed salim said sami tarek amir anwar bassam emad faisal hamza hamid imad jihad kamal
mazen munir nader osama qasim raed riad sharif zaid adel amr ayman
fatima aisha aysha amina layla leila laila mariam maryam noor nour rania reem salma sara yasmin yasmine
zainab zaynab huda hala hanan lina lubna mona nadia rasha rima samira souad zahra dalia dina farah ghada
iman jamila lamia manal nisreen rana shadia suha widad yara zeina
reza mehdi hossein ali-reza darius farhad kourosh parisa shirin nasrin soraya mehmet mustafa emre murat
ayse elif zeynep fatma burak cem
# South Asian
raj rajesh ramesh suresh mahesh dinesh ganesh rakesh mukesh naresh vijay ajay sanjay vikram arjun rahul
rohit amit anil sunil sandeep pradeep deepak ashok arun kiran krishna gopal hari manoj nitin pankaj
prakash ravi sachin sameer sanjeev satish shankar siddharth sunil venkat vivek aditya akash ankit
harpreet gurpreet manpreet jaspreet sukhwinder balwinder
priya pooja anjali sunita anita kavita lakshmi meena neha nisha padma radha rekha sangeeta seema shanti
shweta sonia swati usha divya deepa geeta jyoti kamala lalita madhu nandini rani ritu savita shalini
sushma uma vidya aarti aishwarya ananya aparna bhavna ishita kajal komal mansi parvati preeti
# African, Caribbean
kwame kofi kwabena yaw kojo chinedu chukwuma emeka ikenna obinna oluwaseun olumide adebayo ayodele babatunde
tunde femi segun chidi nnamdi uchenna abimbola adaeze amara chiamaka chioma ngozi nkechi folake funmilayo
ifeoma oluwadamilare yetunde abena ama akosua efua adjoa amadou mamadou moussa ousmane ibrahima aminata
fatou mariama awa jean-baptiste jean-pierre jean-claude marie-claire fabiola guerline jocelyne marjorie
mulugeta tesfaye haile abebe dawit mekdes selam tigist hirut
# European (French, Italian, German, Polish, Russian, Greek, Irish, Portuguese)
pierre jacques michel philippe alain francois louis henri claude rene yves andre marcel etienne julien
amelie brigitte camille celine chantal colette delphine elodie genevieve helene isabelle juliette margaux
giovanni giuseppe luigi marco matteo alessandro francesco lorenzo paolo stefano vincenzo salvatore
giulia chiara francesca alessandra federica gianna rosalia
hans klaus jurgen wolfgang dieter helmut stefan matthias lukas jonas heike ingrid ursula gisela greta
piotr pawel krzysztof tomasz andrzej marek jan wojciech katarzyna agnieszka malgorzata magdalena joanna
dmitri dmitry sergei sergey ivan alexei andrei mikhail nikolai vladimir yuri igor oleg boris pavel
olga natalia tatiana svetlana irina ekaterina anastasia yelena galina ludmila oksana
nikos giorgos dimitris konstantinos yannis eleni sophia katerina despina
sean seamus liam declan ciaran niall padraig siobhan aoife niamh saoirse sinead maeve bridget brigid
joao tiago rui paulo goncalo ines beatriz leonor
# Hebrew, misc
avi moshe yosef david eli shlomo yitzhak chaim miriam rivka shira tova yael noa
""".split()

LAST = """
smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez gonzalez wilson
anderson thomas taylor moore jackson martin lee perez thompson white harris sanchez clark ramirez lewis
robinson walker young allen king wright scott torres nguyen hill flores green adams nelson baker hall
rivera campbell mitchell carter roberts gomez phillips evans turner diaz parker cruz edwards collins reyes
stewart morris morales murphy cook rogers gutierrez ortiz morgan cooper peterson bailey reed kelly howard
ramos kim cox ward richardson watson brooks chavez wood james bennett gray mendoza ruiz hughes price
alvarez castillo sanders patel myers long ross foster jimenez powell jenkins perry russell sullivan bell
coleman butler henderson barnes gonzales fisher vasquez simmons romero jordan patterson alexander hamilton
graham reynolds griffin wallace moreno west cole hayes bryant herrera gibson ellis tran medina aguilar
stevens murray ford castro marshall owens harrison fernandez mcdonald woods washington kennedy wells vargas
henry chen freeman webb tucker guzman burns crawford olson simpson porter hunter gordon mendez silva shaw
snyder mason dixon munoz hunt hicks holmes palmer wagner black robertson boyd rose stone salazar fox warren
mills meyer rice schmidt garza daniels ferguson nichols stephens soto weaver ryan gardner payne grant
dunn kelley spencer hawkins arnold pierce vazquez hansen peters santos hart bradley knight elliott cunningham
duncan armstrong hudson carroll lane riley andrews alvarado ray delgado berry perkins hoffman johnston
matthews pena richards contreras willis carpenter lawrence sandoval guerrero george chapman rios estrada
ortega watkins greene nunez wheeler valdez harper burke larson santiago maldonado morrison franklin carlson
austin dominguez carr lawson jacobs obrien o'brien lynch singh vega bishop montgomery oliver jensen harvey
williamson gilbert dean sims espinoza howell li wong reid hanson le mccoy garrett burton fuller wang
weber welch rojas lucas marquez fields park yang little banks padilla day walsh bowman schultz luna fowler
mejia davidson acosta brewer may holland juarez newman pearson curtis cortez douglas schneider joseph
barrett navarro figueroa keller avila wade molina stanley hopkins campos barnett bates chambers caldwell
beck lambert miranda byrd craig ayala lowe frazier powers neal leonard gregory carrillo sutton fleming
rhodes shelton schwartz norris jennings watts duran walters cohen mcdaniel moran parks steele vaughn becker
holt deleon barker terry hale leon hail benson haynes horton miles lyons pham graves bush thornton wolfe
warner cabrera mckinney mann zimmerman dawson lara fletcher page mccarthy love robles cervantes solis
erickson reeves chang klein salinas fuentes baldwin daniel simon velasquez hardy higgins aguirre lin
cummings chandler sharp barber bowen ochoa dennis robbins liu ramsey francis griffith paul blair oconnor
o'connor cardenas pacheco cross calderon quinn moss swanson chan rivas khan rodgers serrano fitzgerald
rosales stevenson christensen manning gill curry mclaughlin harmon mcgee gross doyle garner newton burgess
reese walton blake trujillo adkins brady goodman roman webster goodwin fischer huang potter delacruz
montoya todd wu hines mullins castaneda malone cannon tate mack sherman hubbard hodges zhang guerra wolf
valencia saunders franco rowe gallagher farmer hammond hampton townsend ingram wise gallegos clarke barton
schroeder maxwell waters logan camacho strickland norman person colon parsons frank harrington glover
osborne buchanan casey floyd patton ibarra ball tyler suarez bowers orozco salas cobb gibbs andrade bauer
conner moody escobar mcguire lloyd mueller hartman french kramer mcbride pope lindsey velazquez norton
mccormick sparks flynn yates hogan marsh macias villanueva zamora pratt stokes owen ballard lang brock
villarreal charles drake barrera cain patrick pineda burnett mercado santana shepherd bautista ali shaffer
lamb trevino mckenzie hess beil olsen cochran morton nash wilkins petersen briggs shah roth nicholson
holloway lozano rangel flowers hoover short arias mora valenzuela bryan meyers weiss underwood bass
greer summers houston carson morrow clayton whitaker decker yoder collier zuniga carey wilcox melendez
poole roberson larsen conley davenport copeland massey lam huff rocha cameron jefferson hood monroe
anthony pittman huynh randall singleton kirk combs mathis christian skinner bradford richard galvan
wall boone kirby wilkinson bridges bruce atkinson velez meza roy vincent york hodge villa abbott allison
tapia gates chase sosa sweeney farrell wyatt dalton horn barron phelps yu dickerson heath foley atkins
mathews bonilla acevedo benitez zavala hensley glenn cisneros harrell shields rubio huffman choi boyer
garrison arroyo bond kane hancock callahan dillon cline wiggins grimes arellano melton oneill o'neill
savage ho beltran pitts parrish ponce rich booth koch golden ware brennan mcdowell marks cantu humphrey
baxter sawyer clay tanner hutchinson kaur berg wiley gilmore russo villegas hobbs keith wilkerson ahmed
beard mcclain montes mata rosario vang walter henson oneal mosley mcclure beasley stephenson snow huerta
preston vance barry johns eaton blackwell dyer prince macdonald solomon guevara stafford english hurst
woodard cortes shannon kemp nolan mccullough merritt murillo moon salgado strong kline cordova barajas
roach rosas winters jacobson lester knox bullock kerr leach meadows davila orr whitehead pruitt kent
conway mckee barr david dejesus marin berger mcintyre blankenship gaines palacios cuevas bartlett durham
dorsey mccall odonnell stein browning stout lowery sloan mclean hendricks calhoun sexton chung gentry
hull duarte ellison nielsen gillespie buck middleton sellers leblanc esparza hardin bradshaw mcintosh
howe livingston frost glass morse knapp herman stark bravo noble spears weeks corona frederick buckley
mcfarland hebert enriquez hickman quintero randolph schaefer walls trejo house reilly pennington michael
conrad giles benjamin crosby fitzpatrick donovan mays mahoney valentine raymond medrano hahn mcmillan
small bentley felix peck lucero boyle hanna pace rush hurley harding mcconnell bernal nava ayers everett
ventura avery pugh mayer bender shepard mcmahon landry case sampson moses magana blackburn dunlap gould
duffy vaughan herring mckay espinosa rivers farley bernard ashley friedman potts truong costa correa
blevins nixon clements fry delarosa best benton lugo portillo dougherty crane haley phan villalobos
blanchard horne finley quintana lynn esquivel bean dodson mullen xiong hayden cano levy huber richmond
moyer lim frye sheppard mccarty avalos booker waller parra woodward jaramillo krueger rasmussen brandt
peralta donaldson stuart faulkner maynard galindo coffey estes sanford burch maddox vo oconnell vu
andersen spence mcpherson church schmitt stanton leal cherry compton dudley sierra pollard alfaro hester
proctor lu hinton novak good madden mccann terrell jarvis dickson reyna cantrell mayo branch hendrix rollins
rowland whitney duke odom daugherty travis tang archer
# New England and other surnames
costello sullivan oleary o'leary mcnamara fitzgerald kowalski nowak wisniewski lewandowski
dabrowski zielinski szymanski wozniak kozlowski jankowski mazur krawczyk kaczmarek piotrowski grabowski
pawlowski michalski nowicki adamczyk dudek zajac wieczorek jablonski krol majewski olszewski jaworski
malinowski gorski witkowski walczak sikora baran rutkowski michalak szewczyk ostrowska czarnecki
ivanov petrov sidorov smirnov kuznetsov popov volkov sokolov lebedev kozlov novikov morozov pavlov
romanov orlov fedorov mikhailov egorov nikolaev zaitsev
muller schmitz schneider fischer meyer wagner becker schulz hoffmann koch bauer richter klein wolf schroder
neumann schwarz zimmermann braun kruger hofmann hartmann lange werner krause lehmann kohler huber kaiser
fuchs peters lang scholz moller weiss jung hahn vogel friedrich keller gunther frank berger winkler roth
rossi russo ferrari esposito bianchi romano colombo ricci marino greco bruno gallo conti deluca mancini
costa giordano rizzo lombardi moretti barbieri fontana santoro mariani rinaldi caruso ferrara galli
martini leone longo gentile martinelli vitale lombardo serra coppola desantis damico marchetti parisi
villa conte ferraro fabbri bianco marini grasso valentini messina sala deangelis gatti pellegrini
dubois durand lefebvre moreau laurent simon michel leroy roux david bertrand morel fournier girard
bonnet dupont lambert fontaine rousseau vincent muller lefevre faure andre mercier blanc guerin boyer
garnier chevalier francois legrand gauthier perrin robin clement morin nicolas henry roussel mathieu
gagnon tremblay cote bouchard gauthier belanger levesque bergeron leblanc paquette cyr thibodeau
ouellette pelletier theriault boucher gendron poirier lapointe lavoie
murphy kelly obrien walsh smith byrne ryan oconnor oneill reilly doyle mccarthy gallagher doherty kennedy
lynch murray quinn moore mcloughlin carroll connolly daly connell wilson dunne brennan burke collins
campbell clarke johnston hughes farrell fitzgerald brown martin maguire nolan flynn thompson callaghan
donnelly duffy mahony boyle healy shea white sweeney hayes kavanagh power mcgrath moran brady stewart
casey foley fitzpatrick leary mcdonnell maccarthy sheehan dwyer cullen
# Hispanic
garcia rodriguez martinez hernandez lopez gonzalez perez sanchez ramirez torres flores rivera gomez diaz
reyes morales cruz ortiz gutierrez chavez ramos ruiz alvarez castillo jimenez vasquez moreno herrera
medina aguilar vargas castro guzman fernandez mendez munoz salazar garza soto vazquez alvarado delgado
pena contreras sandoval guerrero rios estrada ortega nunez maldonado dominguez vega espinoza rojas marquez
padilla mejia juarez figueroa avila molina campos ayala carrillo cabrera cervantes solis fuentes
velasquez aguirre ochoa cardenas pacheco calderon rivas serrano rosales trujillo montoya castaneda
valencia franco gallegos ibarra suarez orozco andrade escobar velazquez macias villanueva zamora
lozano rangel arias mora valenzuela zuniga melendez barajas quintero trejo cordova murillo salgado
cuevas palacios bravo enriquez corona medrano magana carranza beltran acosta arroyo bonilla cisneros
ponce huerta villegas mata montes navarro miranda paredes quiroz robles saldana santana tovar urbina
zepeda quinones ocasio colon rosado negron santiago vazquez rivera matos irizarry pagan feliciano
alicea cintron serrano velez
# Chinese, Korean, Vietnamese, Japanese
wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo zheng liang xie song
tang han feng deng cao peng zeng xiao tian dong pan yuan cai jiang yu du ye cheng wei su lu ding ren
shen yao jin fu zhong cui tan lu fan wan qiu qin jia shi hou xiong meng xue mao hao gu kong bai duan lei
fang yin chang chung chow chiu chu fong ho hsu hui kwan kwok lau leung lo lui mak ng poon tse tsang wong
yeung yip yuen chou tsai hsieh kuo lai liao
kim lee park choi jung kang cho yoon jang lim han oh seo shin kwon hwang ahn song yoo hong jeon ko moon
yang son bae baek heo nam shim noh ha kwak sung cha joo woo koo min ryu
nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly truong dinh lam mai trinh
sato suzuki takahashi tanaka watanabe ito yamamoto nakamura kobayashi kato yoshida yamada sasaki yamaguchi
matsumoto inoue kimura hayashi shimizu yamazaki mori abe ikeda hashimoto ishikawa ogawa okada goto hasegawa
murakami kondo ishii saito sakamoto endo aoki fujii nishimura fukuda ota miura okamoto matsuda nakagawa
# Arabic, Persian, Turkish
nassar saleh hassan hussein ibrahim ahmed ali mohamed abdullah abdallah aziz
khalil nasser rahman hamdan awad bakr darwish farah habib hakim hamad issa jaber kassem karam maalouf
mattar najjar rizk sabbagh saad salem sayegh shaheen tannous yousef zaher abboud aoun bitar chahine
daher el-amin elkhoury ghanem hajj haidar hammoud harb jabbour khalaf makhoul nader qureshi rashid
sadiq siddiqui sharif shaikh sheikh yassin zaki hosseini rahimi ahmadi karimi mohammadi jafari rezaei
moradi sadeghi hashemi ghorbani tehrani yilmaz kaya demir sahin celik yildiz yildirim ozturk aydin
ozdemir arslan dogan kilic aslan cetin kara koc kurt ozkan
# South Asian
patel shah mehta desai joshi kumar sharma singh gupta verma reddy rao iyer iyengar nair menon pillai
krishnan subramanian venkatesan raman srinivasan balasubramanian chandrasekaran ramachandran
narayanan gopalan mukherjee banerjee chatterjee bose ghosh das dutta sen roy chakraborty bhattacharya
mishra pandey tiwari dubey shukla tripathi trivedi chaudhary choudhury malhotra kapoor khanna arora
bhatia sethi chopra ahuja anand bajaj grewal gill sandhu sidhu dhillon brar bains randhawa chauhan
rathore thakur yadav jain agarwal bansal goyal mittal saxena srivastava kulkarni deshpande patil pawar
jadhav shinde naidu chowdhury hossain islam uddin rahman begum akhtar haque khatun
# African
okonkwo okeke eze nwosu obi adeyemi adebayo okoro oyelaran oladipo olawale ogunleye babatunde
adeleke afolabi ajayi akinyemi bello danjuma ibekwe mensah asante owusu boateng osei appiah agyeman
acheampong darko tetteh diallo traore keita kone toure sow ba ndiaye diop fall sy cisse camara sylla
kamara bangura conteh sesay tesfaye bekele haile girma tadesse alemu mekonnen wolde kebede
kariuki mwangi kamau otieno odhiambo omondi ochieng wanjiru njoroge achieng
jean-baptiste pierre-louis joseph charles louis baptiste toussaint dorsainvil desir etienne exantus
""".split()

# Faker locales read for names (Latin script only: the tokenizer folds accents, so "Szöllösy" finds
# "szollosy"), and those kept out of every dictionary as a held-out test set.
FAKER_LOCALES = ["cs_CZ", "de_AT", "de_CH", "de_DE", "dk_DK", "en", "en_GB", "en_NZ", "en_US", "es_ES", "es_MX",
                 "et_EE", "fi_FI", "fr_CH", "fr_FR", "hr_HR", "hu_HU", "it_IT", "nl_NL", "no_NO", "pl_PL",
                 "pt_BR", "pt_PT", "ro_RO", "sv_SE", "tw_GH"]
FAKER_HELD_OUT = ["lt_LT", "lv_LV", "sl_SI", "id_ID", "tr_TR"]
FAKER_DIR = "/usr/lib/python3/dist-packages"


def faker_names():
    """(given names, surnames) of the Faker locales, lower case; two empty lists without the package."""
    if not os.path.isdir(os.path.join(FAKER_DIR, "faker", "providers", "person")):
        print("note: python3-fake-factory is not installed: hand-written names only", file=sys.stderr)
        return [], []
    sys.path.insert(0, FAKER_DIR)
    first, last = [], []
    for loc in FAKER_LOCALES:
        prov = importlib.import_module("faker.providers.person." + loc).Provider
        for attr in dir(prov):
            val = getattr(prov, attr)
            if callable(val) or not isinstance(val, (tuple, list, dict)):
                continue
            into = first if attr.startswith("first_name") else last if attr.startswith("last_name") else None
            if into is None:
                continue
            for n in val:
                n = n.strip().lower()
                # one word of letters (a hyphen or an apostrophe inside), Latin script, 2+ letters
                if len(n) >= 2 and re.fullmatch(r"[^\W\d_]+(?:[-'][^\W\d_]+)*", n) and \
                        all(ord(c) < 0x250 for c in n):
                    into.append(n)
    return first, last


# Surname particles, which some Faker lists carry as given names ("Del", "Van"): they join a name
# ("Maika van de Noort") but are not one.
PARTICLES = "van von de del della dei da das dos di du la le lo ten ter den der el al bin ibn st"


STATES = """
alabama al|alaska ak|arizona az|arkansas ar|california ca|colorado co|connecticut ct|delaware de|
florida fl|georgia ga|hawaii hi|idaho id|illinois il|indiana in|iowa ia|kansas ks|kentucky ky|louisiana la|
maine me|maryland md|massachusetts ma|michigan mi|minnesota mn|mississippi ms|missouri mo|montana mt|
nebraska ne|nevada nv|new hampshire nh|new jersey nj|new mexico nm|new york ny|north carolina nc|
north dakota nd|ohio oh|oklahoma ok|oregon or|pennsylvania pa|rhode island ri|south carolina sc|
south dakota sd|tennessee tn|texas tx|utah ut|vermont vt|virginia va|washington wa|west virginia wv|
wisconsin wi|wyoming wy|district of columbia dc|puerto rico pr|guam gu|virgin islands vi
"""

CITIES = """
new york|los angeles|chicago|houston|phoenix|philadelphia|san antonio|san diego|dallas|san jose|austin|
jacksonville|fort worth|columbus|charlotte|san francisco|indianapolis|seattle|denver|washington|boston|
el paso|nashville|detroit|oklahoma city|portland|las vegas|memphis|louisville|baltimore|milwaukee|
albuquerque|tucson|fresno|mesa|sacramento|atlanta|kansas city|colorado springs|omaha|raleigh|miami|
long beach|virginia beach|oakland|minneapolis|tulsa|tampa|arlington|new orleans|wichita|bakersfield|
cleveland|aurora|anaheim|honolulu|santa ana|riverside|corpus christi|lexington|henderson|stockton|
saint paul|st. paul|cincinnati|st. louis|saint louis|pittsburgh|greensboro|lincoln|anchorage|plano|
orlando|irvine|newark|durham|chula vista|toledo|fort wayne|st. petersburg|laredo|jersey city|chandler|
madison|lubbock|scottsdale|reno|buffalo|gilbert|glendale|north las vegas|winston-salem|chesapeake|
norfolk|fremont|garland|irving|hialeah|richmond|boise|spokane|baton rouge|tacoma|san bernardino|
modesto|fontana|des moines|moreno valley|santa clarita|fayetteville|birmingham|oxnard|rochester|
port st. lucie|grand rapids|huntsville|salt lake city|frisco|yonkers|amarillo|glendale|huntington beach|
mckinney|montgomery|augusta|akron|little rock|tempe|columbus|overland park|grand prairie|tallahassee|
cape coral|mobile|knoxville|shreveport|worcester|ontario|vancouver|sioux falls|chattanooga|brownsville|
fort lauderdale|providence|newport news|rancho cucamonga|santa rosa|peoria|oceanside|elk grove|salem|
pembroke pines|eugene|garden grove|cary|fort collins|corona|springfield|jackson|alexandria|hayward|
clarksville|lakewood|lancaster|salinas|palmdale|hollywood|springfield|macon|sunnyvale|pomona|killeen|
escondido|pasadena|naperville|bellevue|joliet|murfreesboro|midland|rockford|paterson|savannah|bridgeport|
torrance|mcallen|syracuse|surprise|denton|roseville|thornton|miramar|mesquite|olathe|dayton|carrollton|
waco|orange|fullerton|charleston|west valley city|visalia|hampton|gainesville|warren|coral springs|
cedar rapids|round rock|sterling heights|kent|columbia|santa clara|new haven|stamford|concord|elizabeth|
athens|thousand oaks|lafayette|simi valley|topeka|norman|fargo|wilmington|abilene|odessa|pearland|
victorville|hartford|vallejo|allentown|berkeley|richardson|arvada|ann arbor|cambridge|sugar land|
evansville|independence|lansing|erie|allen|billings|burbank|palm bay|daly city|green bay|lowell|
manchester|nashua|portsmouth|dover|concord|keene|laconia|rochester|somersworth|exeter|hanover|lebanon|
burlington|montpelier|rutland|brattleboro|bennington|st. johnsbury|barre|
portland|bangor|lewiston|auburn|augusta|biddeford|saco|kennebunk|brunswick|bath|waterville|
providence|warwick|cranston|pawtucket|east providence|woonsocket|newport|westerly|bristol|
hartford|new haven|bridgeport|stamford|waterbury|norwalk|danbury|new britain|west hartford|
greenwich|hamden|meriden|bristol|manchester|west haven|milford|middletown|norwich|new london|
shelton|torrington|wethersfield|glastonbury|enfield|farmington|simsbury|avon|
boston|worcester|springfield|cambridge|lowell|brockton|new bedford|quincy|lynn|fall river|newton|
lawrence|somerville|framingham|haverhill|waltham|malden|brookline|plymouth|medford|taunton|chicopee|
weymouth|revere|peabody|methuen|barnstable|pittsfield|attleboro|arlington|everett|salem|westfield|
leominster|fitchburg|beverly|holyoke|marlborough|woburn|chelsea|braintree|shrewsbury|dedham|natick|
andover|north andover|amesbury|newburyport|gloucester|marblehead|lexington|concord|acton|wellesley|
needham|norwood|milton|dorchester|roxbury|jamaica plain|brighton|charlestown|falmouth|hyannis|
nantucket|northampton|amherst|greenfield|lenox|stockbridge|great barrington|north adams|williamstown|
holden|auburn|westborough|marlboro|hudson|gardner|athol|webster|southbridge|milford|franklin|
albany|syracuse|rochester|buffalo|yonkers|utica|schenectady|binghamton|ithaca|white plains|
new rochelle|poughkeepsie|kingston|saratoga springs|troy|brooklyn|queens|bronx|staten island|manhattan|
philadelphia|pittsburgh|allentown|erie|reading|scranton|bethlehem|lancaster|harrisburg|altoona|york|
wilkes-barre|state college|annapolis|baltimore|frederick|rockville|gaithersburg|bowie|hagerstown|
severna park|columbia|silver spring|bethesda|towson|salisbury|ocean city|
trenton|camden|princeton|paterson|hoboken|atlantic city|edison|
cleveland|columbus|cincinnati|toledo|akron|dayton|youngstown|canton|
detroit|dearborn|dearborn heights|ann arbor|flint|lansing|kalamazoo|grand rapids|
richmond|norfolk|roanoke|charlottesville|alexandria|
raleigh|durham|asheville|wilmington|chapel hill|
savannah|macon|augusta|athens|
miami|orlando|tampa|tallahassee|gainesville|sarasota|naples|key west|boca raton|
nashville|memphis|knoxville|chattanooga|
louisville|lexington|
new orleans|baton rouge|
houston|dallas|austin|san antonio|el paso|
denver|boulder|
phoenix|tucson|flagstaff|sedona|
seattle|spokane|tacoma|olympia|
portland|eugene|bend|
san francisco|oakland|sacramento|san jose|los angeles|san diego|santa barbara|santa cruz|monterey|
boise|salt lake city|provo|cheyenne|billings|missoula|bismarck|fargo|sioux falls|rapid city|
omaha|lincoln|des moines|iowa city|topeka|wichita|kansas city|st. louis|
minneapolis|duluth|milwaukee|madison|green bay|
chicago|springfield|peoria|
indianapolis|fort wayne|south bend|
honolulu|anchorage|juneau|fairbanks|
little rock|jackson|birmingham|montgomery|mobile|
charleston|columbia|greenville|
oklahoma city|tulsa|albuquerque|santa fe|las vegas|reno|
london|paris|berlin|madrid|rome|lisbon|dublin|toronto|montreal|vancouver|mexico city|guadalajara|
monterrey|tijuana|havana|san juan|santo domingo|port-au-prince|kingston|bogota|lima|quito|caracas|
buenos aires|santiago|sao paulo|rio de janeiro|guatemala city|quetzaltenango|san salvador|tegucigalpa|
managua|beijing|shanghai|guangzhou|shenzhen|hong kong|taipei|tokyo|osaka|seoul|busan|hanoi|
ho chi minh city|saigon|manila|bangkok|mumbai|delhi|new delhi|bangalore|chennai|kolkata|hyderabad|
karachi|lahore|dhaka|cairo|beirut|damascus|amman|baghdad|tehran|riyadh|dubai|istanbul|ankara|
lagos|accra|nairobi|addis ababa|johannesburg|cape town|dakar|moscow|kyiv|kiev|warsaw|krakow|prague|
budapest|vienna|athens|stockholm|oslo|copenhagen|helsinki|amsterdam|brussels|zurich|geneva
"""

COUNTRIES = """
afghanistan|albania|algeria|andorra|angola|argentina|armenia|australia|austria|azerbaijan|bahamas|bahrain|
bangladesh|barbados|belarus|belgium|belize|benin|bhutan|bolivia|bosnia|botswana|brazil|brunei|bulgaria|
burkina faso|burundi|cambodia|cameroon|canada|cape verde|chad|chile|china|colombia|comoros|congo|
costa rica|croatia|cuba|cyprus|czech republic|czechia|denmark|djibouti|dominica|dominican republic|
ecuador|egypt|el salvador|eritrea|estonia|eswatini|ethiopia|fiji|finland|france|gabon|gambia|georgia|
germany|ghana|greece|grenada|guatemala|guinea|guyana|haiti|honduras|hungary|iceland|india|indonesia|
iran|iraq|ireland|israel|italy|ivory coast|jamaica|japan|jordan|kazakhstan|kenya|kosovo|kuwait|
kyrgyzstan|laos|latvia|lebanon|lesotho|liberia|libya|liechtenstein|lithuania|luxembourg|madagascar|
malawi|malaysia|maldives|mali|malta|mauritania|mauritius|mexico|moldova|monaco|mongolia|montenegro|
morocco|mozambique|myanmar|burma|namibia|nepal|netherlands|new zealand|nicaragua|niger|nigeria|
north korea|north macedonia|norway|oman|pakistan|palestine|panama|papua new guinea|paraguay|peru|
philippines|poland|portugal|qatar|romania|russia|rwanda|samoa|saudi arabia|senegal|serbia|seychelles|
sierra leone|singapore|slovakia|slovenia|somalia|south africa|south korea|korea|south sudan|spain|
sri lanka|sudan|suriname|sweden|switzerland|syria|taiwan|tajikistan|tanzania|thailand|togo|tonga|
trinidad|tunisia|turkey|turkmenistan|uganda|ukraine|united arab emirates|uae|united kingdom|uk|
england|scotland|wales|united states|usa|u.s.a.|uruguay|uzbekistan|venezuela|vietnam|viet nam|yemen|
zambia|zimbabwe|puerto rico|greenland|new zealand|hong kong|macau|cote d'ivoire|cabo verde|timor-leste
"""

# Occupations, for PROFESSION spans in "works as a ...", "retired ..." contexts.
PROFESSIONS = """
accountant|actor|architect|artist|attorney|lawyer|baker|barber|bartender|bus driver|school bus driver|
butcher|carpenter|cashier|chef|cook|line cook|restaurant cook|chemist|civil engineer|electrical engineer|
mechanical engineer|software engineer|engineer|clerk|construction worker|contractor|custodian|janitor|
dentist|designer|driver|delivery driver|truck driver|long-haul truck driver|taxi driver|electrician|
factory worker|farmer|farm worker|firefighter|fisherman|commercial fisherman|flight attendant|
forklift operator|gardener|landscaper|hairdresser|homemaker|housekeeper|journalist|judge|laborer|
librarian|machinist|mail carrier|mechanic|auto mechanic|miner|musician|nanny|painter|paralegal|
pharmacist|photographer|pilot|plumber|police officer|postal worker|professor|programmer|real estate agent|
receptionist|roofer|salesman|sales representative|scientist|secretary|security guard|social worker|
soldier|naval officer|student|college student|surveyor|tailor|teacher|high school teacher|
teacher's aide|technician|waiter|waitress|server|warehouse worker|welder|writer|veterinarian|
stonemason|mason|bricklayer|sheet metal worker|longshoreman|dock worker|nurse|nursing assistant|
home health aide|cna|physician|dentist|accountant|banker|bookkeeper|analyst|consultant|manager|
store manager|office manager|administrator|pastor|minister|priest|rabbi|imam|coach|athlete|
collegiate soccer player|soccer player|football player|dancer|singer|model|tutor|translator|
interpreter|courier|dispatcher|bus mechanic|lineman|logger|rancher|shepherd|baker|fisher|cleaner|
seamstress|dishwasher|cook's assistant|grocery clerk|retail worker|cashier|babysitter|daycare worker|
crossing guard|corrections officer|correctional officer|firefighter|paramedic|emt|
"""

# Words and phrases that contain person or place names but are not PHI (eponyms, scales, procedures,
# drugs and devices named after people or places).
EPONYMS = """
parkinson's|parkinsonism|parkinsonian|alzheimer|alzheimer's|bell's palsy|baker's cyst|
foley|babinski|apgar|nottingham|calot|calot's|hasson|mohs|breslow|bruce protocol|ottawa|
trendelenburg|tyrer-cuzick|tyrer|cuzick|child-pugh|pugh|hoehn|yahr|lee silverman|
silverman|burch-wartofsky|wartofsky|chvostek|trousseau|mallampati|ortolani|brescia-cimino|
brescia|cimino|beers|epworth|braden|ranson|gleason|wilms|hodgkin|hodgkin's|
non-hodgkin|crohn|crohn's|addison's|cushing's|hashimoto|hashimoto's|raynaud|raynaud's|
sjogren|sjogren's|guillain-barre|guillain|barre|kawasaki|huntington|huntington's|tourette|tourette's|
asperger|asperger's|down syndrome|marfan|ehlers-danlos|wilson's|wilson disease|paget's|
kaposi|kaposi's|barrett's|zenker|zenker's|meckel|meckel's|hirschsprung|
murphy's sign|murphy sign|mcburney|mcburney's|rovsing|kernig|brudzinski|romberg|tinel|phalen|
finkelstein|lachman|mcmurray|spurling|hoffmann|virchow|virchow's|kussmaul|cheyne-stokes|
cheyne|stokes|korotkoff|austin flint|swan-ganz|groshong|broviac|port-a-cath|
jackson-pratt|penrose|blakemore|sengstaken|minnesota tube|salem sump|dobhoff|cordis|seldinger|
heimlich|valsalva|leopold's|ritgen|pfannenstiel|kocher|nissen|billroth|roux-en-y|roux|
hartmann|hartmann's|whipple procedure|bankart|colles|smith fracture|jones fracture|boxer's fracture|
monteggia|galeazzi|salter-harris|lisfranc|weber b|weber a|weber c|schatzker|
gustilo|killip|nyha|ccs|timi|chads|cha2ds2-vasc|has-bled|wells score|
geneva|perc|curb-65|pesi|meld|rumack-matthew|rumack|matthew|parkland|lund|browder|lund-browder|
bristol stool|morse fall|fagerstrom|ciwa|cows|mini-cog|folstein|montreal cognitive|
ecog|zubrod|lansky|dubowitz|snellen|jaeger|
amsler|ishihara|schirmer|weber test|rinne|dix-hallpike|epley|semont|fukuda|unterberger|babinski sign|
hering-breuer|frank-starling|poiseuille|bernoulli|fick|laplace|henderson-hasselbalch|
cockcroft-gault|cockcroft|gault|mdrd|ckd-epi|friedewald|tyrer cuzick|
papanicolaou|ziehl-neelsen|giemsa|kleihauer-betke|
western blot|southern blot|holter|doppler|fontan|glenn|norwood|blalock-taussig|mustard|senning|
rastelli|ross procedure|bentall|david procedure|maze|cox maze|watchman|impella|mitraclip|tavr|
pap smear|lugol|lugol's|betadine|ringer's|lactated ringer's|hartmann's solution|
tenckhoff|quinton|mahurkar|permcath|palindrome|
klebsiella|escherichia|salmonella|shigella|listeria|neisseria|legionella|pasteurella|yersinia|
brucella|bordetella|haemophilus|rickettsia|ehrlichia|babesia|borrelia|lyme disease|
rocky mountain spotted fever|west nile|ebola|zika|coxsackie|epstein-barr|ebv|norwalk|marburg|
hantavirus|chagas|creutzfeldt-jakob|creutzfeldt|jakob|lou gehrig|gehrig|
tay-sachs|niemann-pick|gaucher|fabry|pompe|wernicke|korsakoff|wernicke-korsakoff|broca|broca's|
meniere|meniere's|osgood-schlatter|legg-calve-perthes|perthes|sever's|kienbock|dupuytren|
dupuytren's|peyronie|peyronie's|bartholin|bartholin's|skene|cowper|meibomian|wharton|stensen|
eustachian|fallopian|sylvian|willis|circle of willis|purkinje|bachmann|mahaim|wenckebach|
mobitz|brugada|wolff-parkinson-white|lown-ganong-levine|torsades|osborn|epsilon|
dressler|dressler's|prinzmetal|takotsubo|loeffler|libman-sacks|osler's|roth spots|
argyll robertson|horner|horner's|adie|holmes-adie|marcus gunn|kayser-fleischer|
bitot|koplik|forchheimer|nikolsky|auspitz|koebner|gottron|heliotrope|
beau's|muehrcke|
stevens-johnson|kawasaki disease|henoch-schonlein|henoch|schonlein|wegener|churg-strauss|takayasu|
buerger|buerger's|behcet|behcet's|reiter's|sjögren|sjögren's|
conn's|zollinger-ellison|sheehan's|waterhouse-friderichsen|bartter|gitelman|
liddle|fanconi|alport|goodpasture|berger's|iga nephropathy|
tanner stage|apgar score|gleason score|nottingham grade|clark level|breslow depth|
mayo clinic|cleveland clinic|johns hopkins|mass general|
lee silverman voice treatment|
mallory-weiss|sturge-weber|prader-willi|klippel-feil|klippel-trenaunay|budd-chiari|dandy-walker|
peutz-jeghers|bence-jones|charcot-marie-tooth|lambert-eaton|arnold-chiari|kasabach-merritt|wolff-chaikoff|
jod-basedow|beckwith-wiedemann|smith-lemli-opitz|smith-magenis|russell-silver|von hippel-lindau|hippel-lindau|
osler-weber-rendu|rendu-osler-weber|kearns-sayre|hand-schuller-christian|letterer-siwe|dubin-johnson|
crigler-najjar|wiskott-aldrich|chediak-higashi|bernard-soulier|von willebrand|willebrand|
jervell-lange-nielsen|romano-ward|adams-stokes|stokes-adams|marcus-gunn|brown-sequard|foster-kennedy|
miller-fisher|miller fisher|ramsay-hunt|ramsay hunt|tolosa-hunt|shy-drager|steele-richardson-olszewski|
gerstmann-straussler|kluver-bucy|dejerine-sottas|charcot-leyden|mallory-denk|reed-sternberg|howell-jolly|
pelger-huet|fitz-hugh-curtis|stein-leventhal|mayer-rokitansky-kuster-hauser|loeys-dietz|sinding-larsen|
hill-sachs|essex-lopresti|pellegrini-stieda|grey-turner|grey turner|plummer-vinson|boerhaave|
dieulafoy|menetrier|ogilvie|schatzki|heberden|bouchard|krukenberg|courvoisier|kallmann|klinefelter|noonan|
"""

# Clinical words that look like names in capitalised headers or drug lists (kept out of name spans).
CLINICAL = """
baby|boy|girl|newborn|neonate|twin|asa|echo|echocardiogram|vicryl|monocryl|prolene|dermabond|steri-strips|
patient|pt|doctor|dr|nurse|md|rn|np|pa|do|attending|resident|fellow|intern|physician|surgeon|provider|
history|present|illness|exam|examination|assessment|plan|impression|diagnosis|diagnoses|procedure|
findings|indication|indications|technique|comparison|report|summary|discharge|admission|admitted|
medications|medication|allergies|allergy|vitals|vital|signs|labs|lab|results|result|course|hospital|
follow-up|followup|instructions|condition|disposition|chief|complaint|review|systems|social|family|
physical|general|heent|neck|lungs|heart|abdomen|extremities|neuro|skin|psych|cardiac|pulmonary|renal|
date|time|name|age|sex|dob|mrn|unit|room|bed|floor|ward|service|department|clinic|center|
signed|dictated|transcribed|electronically|reviewed|addendum|note|notes|progress|consult|consultation|
subjective|objective|soap|hpi|pmh|psh|fhx|shx|ros|cc|ap|a/p|rx|dx|tx|hx|sx|fx|bx|
torsemide|furosemide|lasix|metoprolol|apixaban|eliquis|warfarin|coumadin|heparin|enoxaparin|lovenox|
aspirin|atorvastatin|lipitor|simvastatin|rosuvastatin|lisinopril|losartan|amlodipine|norvasc|
metformin|glipizide|insulin|glargine|lantus|lispro|humalog|aspart|novolog|levothyroxine|synthroid|
prednisone|methylprednisolone|dexamethasone|hydrocortisone|albuterol|ipratropium|tiotropium|
fluticasone|budesonide|montelukast|omeprazole|pantoprazole|famotidine|ondansetron|zofran|
acetaminophen|tylenol|ibuprofen|motrin|naproxen|oxycodone|hydromorphone|dilaudid|morphine|fentanyl|
tramadol|gabapentin|pregabalin|sertraline|zoloft|fluoxetine|prozac|citalopram|escitalopram|lexapro|
bupropion|trazodone|mirtazapine|quetiapine|seroquel|olanzapine|risperidone|haloperidol|haldol|
lorazepam|ativan|alprazolam|xanax|clonazepam|diazepam|valium|zolpidem|melatonin|
vancomycin|zosyn|piperacillin|tazobactam|cefepime|ceftriaxone|cefazolin|ancef|ampicillin|amoxicillin|
augmentin|azithromycin|doxycycline|ciprofloxacin|levofloxacin|metronidazole|flagyl|clindamycin|
nitrofurantoin|bactrim|sulfamethoxazole|trimethoprim|meropenem|linezolid|daptomycin|fluconazole|
spironolactone|sacubitril|valsartan|entresto|carvedilol|digoxin|amiodarone|diltiazem|hydralazine|
nitroglycerin|clopidogrel|plavix|ticagrelor|brilinta|rivaroxaban|xarelto|dabigatran|
potassium|sodium|chloride|magnesium|calcium|phosphorus|bicarbonate|creatinine|glucose|hemoglobin|
troponin|lactate|albumin|bilirubin|platelets|wbc|hgb|hct|plt|bun|alt|ast|inr|ptt|bnp|tsh|
mild|moderate|severe|normal|abnormal|negative|positive|stable|unchanged|improved|acute|chronic|
left|right|bilateral|anterior|posterior|medial|lateral|proximal|distal|superior|inferior|
daily|bid|tid|qid|prn|qhs|po|iv|im|sq|sl|pr|
"""

STREET_SUFFIXES = "street st avenue ave road rd lane ln drive dr boulevard blvd way court ct place pl terrace ter circle cir highway hwy parkway pkwy square sq trail path pike turnpike row alley loop".split()


def fold(s):
    """Lower case without accents, as the engine's deid_fold ("Müller" -> "muller")."""
    return "".join(c for c in unicodedata.normalize("NFKD", s.lower()) if not unicodedata.combining(c))


def entries(text, sep):
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        for e in line.split(sep):
            e = re.sub(r"\s+", " ", e.strip().lower())
            if e:
                out.append(e)
    return out


def write(name, items):
    seen = set()
    keep = []
    for it in items:
        if it not in seen:
            seen.add(it)
            keep.append(it)
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        f.write("\n".join(sorted(keep)) + "\n")
    return keep


def main():
    ffirst, flast = faker_names()
    # a clinical word or an eponym in a Faker list does not become a name ("Foley", "Parkinson")
    keep_out = set(entries(EPONYMS, "|")) | set(entries(CLINICAL, "|")) | set(PARTICLES.split())
    first = write("first_names.txt", [w.lower() for w in FIRST if not w.startswith("#")] +
                  [w for w in ffirst if w not in keep_out])
    last = write("last_names.txt", [w.lower() for w in LAST if not w.startswith("#")] +
                 [w for w in flast if w not in keep_out])
    states = []
    for pair in entries(STATES, "|"):
        parts = pair.rsplit(" ", 1)
        states.append(parts[0] + "\t" + parts[1])
    write("states.txt", states)
    cities = write("cities.txt", entries(CITIES, "|"))
    countries = write("countries.txt", entries(COUNTRIES, "|"))
    write("professions.txt", entries(PROFESSIONS, "|"))
    write("eponyms.txt", entries(EPONYMS, "|"))
    write("clinical_words.txt", entries(CLINICAL, "|"))
    # Names and places that are also ordinary lower-case English words need context to count as PHI.
    words = set()
    path = "/usr/share/dict/american-english"
    if os.path.exists(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            for w in f:
                w = w.strip()
                if w and w.islower() and "'" not in w:
                    words.add(w)
        # compared without accents, as the engine folds them ("Löwer" is looked up as "lower")
        amb = sorted(set(n for n in first + last + cities + countries if n in words or fold(n) in words))
        write("ambiguous.txt", amb)
        # The English lexicon: a capitalised word outside it (and outside the clinical lists) is a name
        # candidate in running text. Only lower-case entries, so proper nouns are not in it.
        write("english_words.txt", sorted(w for w in words if len(w) >= 2 and w.isascii()))
    print(len(first), "first names,", len(last), "surnames,", len(cities), "cities,", len(countries), "countries")


if __name__ == "__main__":
    main()
