/* safe_private_table.c: the safe private attributes of PS3.15 Table E.3.10-1, kept by Retain Safe Private.
 *
 * One row per attribute: private creator (as the (gggg,00xx) value reads, trailing spaces trimmed), group,
 * element byte (the yy of (gggg,xxyy)), the VR the table gives, and its meaning. deid.c keeps an element
 * only when creator, group, byte and VR all match and the value fits the VR (an element found as UN or OB,
 * from an implicit VR file or a converter, is judged by its value alone); anything else private is removed.
 *
 * Each row was checked against a transcription of the table (creator, group, element) and, where it lists
 * them, the VR against the TCIA private tag knowledge base. Left out because their element-by-element VRs and meanings could not be checked here
 * (removing them is the safe direction; add rows once checked against the standard's current edition):
 *   - "Philips US Imaging DD 023" .. "DD 066" (group 200D, about 150 elements);
 *   - "HOLOGIC, Inc." (groups 0019, 7E01, 7F01) and "LORAD Selenia" (group 0019) mammography rows;
 *   - "GEMS_SENO_02" (group 0045) mammography rows;
 *   - "NQHeader", "NQLeft", "NQRight" (groups 0099, 0199, 0299) NeuroQuant volumetry rows;
 *   - rows added by editions after 2023 that neither transcription had.
 */
#include "dicom/dicom_int.h"

const struct dicom_safe_private dicom_safe_private_rows[] = {
	/* GE CT and MR */
	{"GEMS_ACQU_01", 0x0019, 0x23, DICOM_VR_DS, "Table Speed [mm/rotation]"},
	{"GEMS_ACQU_01", 0x0019, 0x24, DICOM_VR_DS, "Mid Scan Time [sec]"},
	{"GEMS_ACQU_01", 0x0019, 0x27, DICOM_VR_DS, "Rotation Speed (Gantry Period)"},
	{"GEMS_ACQU_01", 0x0019, 0x9E, DICOM_VR_LO, "Internal Pulse Sequence Name"},
	{"GEMS_SERS_01", 0x0025, 0x07, DICOM_VR_SL, "Images in Series"},
	{"GEMS_PARM_01", 0x0043, 0x27, DICOM_VR_SH, "Scan Pitch Ratio"},
	{"GEMS_PARM_01", 0x0043, 0x39, DICOM_VR_IS, "Slop_int_6... slop_int_9 (b value and diffusion)"},
	{"GEMS_PARM_01", 0x0043, 0x6F, DICOM_VR_DS, "Scanner Table Entry + Gradient Coil Selected"},
	{"GEMS_HELIOS_01", 0x0045, 0x01, DICOM_VR_SS, "Number of Macro Rows in Detector"},
	{"GEMS_HELIOS_01", 0x0045, 0x02, DICOM_VR_FL, "Macro width at ISO Center"},
	/* GE PACS flags */
	{"GEIIS PACS", 0x0903, 0x10, DICOM_VR_US, "Reject Image Flag"},
	{"GEIIS PACS", 0x0903, 0x11, DICOM_VR_US, "Significant Flag"},
	{"GEIIS PACS", 0x0903, 0x12, DICOM_VR_US, "Confidential Flag"},
	/* Philips (Elscint) CT */
	{"ELSCINT1", 0x00E1, 0x21, DICOM_VR_DS, "DLP"},
	{"ELSCINT1", 0x01E1, 0x26, DICOM_VR_CS, "Phantom Type"},
	{"ELSCINT1", 0x01E1, 0x50, DICOM_VR_FL, "Acquisition Duration"},
	{"ELSCINT1", 0x01F1, 0x01, DICOM_VR_CS, "Acquisition Type"},
	{"ELSCINT1", 0x01F1, 0x07, DICOM_VR_DS, "Table Velocity"},
	{"ELSCINT1", 0x01F1, 0x26, DICOM_VR_DS, "Pitch Factor"},
	{"ELSCINT1", 0x01F1, 0x27, DICOM_VR_DS, "Rotation Time"},
	/* Philips MR and PET */
	{"Philips Imaging DD 001", 0x2001, 0x03, DICOM_VR_FL, "Diffusion B-Factor"},
	{"Philips Imaging DD 001", 0x2001, 0x04, DICOM_VR_CS, "Diffusion Direction"},
	{"Philips MR Imaging DD 001", 0x2005, 0x0D, DICOM_VR_FL, "Scale Intercept"},
	{"Philips MR Imaging DD 001", 0x2005, 0x0E, DICOM_VR_FL, "Scale Slope"},
	{"Philips PET Private Group", 0x7053, 0x00, DICOM_VR_DS, "SUV Factor"},
	{"Philips PET Private Group", 0x7053, 0x09, DICOM_VR_DS, "Activity Concentration Scale Factor"},
	/* Siemens MR diffusion */
	{"SIEMENS MR HEADER", 0x0019, 0x0C, DICOM_VR_IS, "B_value"},
	{"SIEMENS MR HEADER", 0x0019, 0x0D, DICOM_VR_CS, "DiffusionDirectionality"},
	{"SIEMENS MR HEADER", 0x0019, 0x0E, DICOM_VR_FD, "DiffusionGradientDirection"},
	{"SIEMENS MR HEADER", 0x0019, 0x27, DICOM_VR_FD, "B_matrix"},
};

const size_t dicom_safe_private_count = sizeof dicom_safe_private_rows / sizeof dicom_safe_private_rows[0];
