"""The firmware image itself (build/fw/hv.elf, linked by sun4v/hypervisor_fw/hv.ld):
loaded at the hypervisor RAM of the Legion map (0x10_0000), a 16 KB aligned trap table
(HTBA, reference sun4v.md §1.1), everything below the MD area (HV_MDAREA_BASE), the
layout table the host reads, and no floating-point instruction anywhere: the FP
registers are the guest's, which a hypervisor that used them would clobber (and, with
the guest's PSTATE.PEF clear, trap on: fp_disabled in the hypervisor).  (Writing
%fprs is not FP use: the guest entry state clears it.)  Nor any register-window
instruction (save, restore, return, flushw, saved, restored): the windows are the
guest's too, and a `save` when the guest has no clean window is a spill trap in the
hypervisor (the image is -mflat and links no libgcc, whose helpers are not)."""
import re
import subprocess

from hvkit import HV_ELF

from setup_tools import require_built, require_tools
from sun4v.boot.hvstate import elf_symbols


def test_image_layout_and_no_floating_point():
    require_built(HV_ELF)
    require_tools("sparc64-linux-gnu-objdump")
    sym = elf_symbols(str(HV_ELF), ["_start", "htraptable", "__hv_end", "hv_layout",
                                    "strand_stacks"])
    assert sym["_start"] == 0x10_0000
    assert sym["htraptable"] % 16384 == 0
    assert sym["__hv_end"] <= 0x0300_0000
    dis = subprocess.run(["sparc64-linux-gnu-objdump", "-d", str(HV_ELF)],
                         capture_output=True, text=True, check=True).stdout
    fp = [ln for ln in dis.splitlines() if re.search(r"%f\d|%fsr", ln)]
    assert fp == [], fp[:5]


def test_image_leaves_the_register_windows_alone():
    require_built(HV_ELF)
    require_tools("sparc64-linux-gnu-objdump")
    dis = subprocess.run(["sparc64-linux-gnu-objdump", "-d", str(HV_ELF)],
                         capture_output=True, text=True, check=True).stdout
    win = [ln for ln in dis.splitlines()
           if re.search(r"\t(save|restore|return|flushw|saved|restored)(\s|$)", ln)]
    assert win == [], win[:5]
