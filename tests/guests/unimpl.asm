; tests/guests/unimpl.asm — executes an instruction the emulator does not implement.
;
; Prints a line on the debug console, then runs FSIN (bytes D9 FE) in real mode. xlat must stop
; with a clear "unimplemented instruction" error (non-zero exit, no crash). A CPU that knows the
; instruction (qemu) goes on, prints a second line and exits with value 0 (qemu status 1).
; When xlat learns x87 transcendentals, pick another instruction it does not know.
;
; Build: nasm -f bin -I tests/guests/ -o o/roms/unimpl.bin tests/guests/unimpl.asm

%include "common.inc"

section rom
bits 16
rm_main:
    RM_PRINT "unimpl: executing FSIN (D9 FE)", 10
    db 0xD9, 0xFE                   ; fsin
    RM_PRINT "unimpl: FSIN executed", 10
    ret

bits 32
pm_main:
    PRINT "unimpl: done", 10
    xor eax, eax
    ret

section rodata
rm_banner:
    db "xlat unimpl ROM", 10, 0
