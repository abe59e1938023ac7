#!/bin/sh
# seed_nifti.sh DIR: writes small NIfTI-1 and NIfTI-2 seeds for fuzz_nifti (generated with nibabel).
set -eu
out=${1:?usage: seed_nifti.sh DIR}
mkdir -p "$out"
/usr/bin/python3 - "$out" <<'PY'
import os, sys
import numpy as np
import nibabel as nib
out = sys.argv[1]
a = (np.arange(4 * 3 * 2).reshape(4, 3, 2) * 7 - 20).astype(np.int16)
aff = np.array([[0, -1.5, 0, 12], [2.0, 0, 0, -8], [0, 0, 3.25, 40], [0, 0, 0, 1]])
nib.save(nib.Nifti1Image(a, aff), os.path.join(out, "n1_i16.nii"))
img = nib.Nifti1Image(a.astype(np.float32), np.eye(4)); img.header.set_slope_inter(2, 1)
nib.save(img, os.path.join(out, "n1_f32.nii"))
nib.save(nib.Nifti2Image(a.astype(np.uint8), aff), os.path.join(out, "n2_u8.nii"))
nib.save(nib.Nifti1Image(np.ones((2, 2, 2, 2), np.float64), aff), os.path.join(out, "n1_4d.nii"))
PY
