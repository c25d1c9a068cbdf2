; tests/guests/unimpl.asm — executes an instruction the emulator does not implement.
;
; Prints a line on the debug console, then runs EMMS (bytes 0F 77, MMX) in real mode. xlat must
; stop with a clear "unimplemented instruction" error (non-zero exit, no crash). A CPU that knows
; the instruction (qemu) goes on, prints a second line and exits with value 0 (qemu status 1).
; When xlat learns MMX, pick another instruction it does not know.
;
; Build: nasm -f bin -I tests/guests/ -o o/roms/unimpl.bin tests/guests/unimpl.asm

%include "common.inc"

section rom
bits 16
rm_main:
    RM_PRINT "unimpl: executing EMMS (0F 77)", 10
    db 0x0F, 0x77                   ; emms
    RM_PRINT "unimpl: EMMS executed", 10
    ret

bits 32
pm_main:
    PRINT "unimpl: done", 10
    xor eax, eax
    ret

section rodata
rm_banner:
    db "xlat unimpl ROM", 10, 0
