; tests/guests/unimpl.asm — an instruction of a feature the CPU model does not report.
;
; Prints a line on the debug console, then runs EMMS (bytes 0F 77, MMX) in real mode. CPUID
; reports no MMX, and a processor without it raises #UD there (pre-MMX processors had no such
; opcode; SDM Vol. 2 lists #UD for each SIMD instruction whose CPUID feature bit is 0): the #UD
; handler installed in the IVT says so and skips the two bytes. `-d unimp` names the
; instruction on the log. A CPU that has MMX (qemu's default model) runs EMMS without a #UD.
; Both go on, print "EMMS passed" and exit with value 0 (qemu status 1).
;
; Build: nasm -f bin -I tests/guests/ -o o/roms/unimpl.bin tests/guests/unimpl.asm

%include "common.inc"

section rom
bits 16
rm_main:
    RM_PRINT "unimpl: executing EMMS (0F 77)", 10
    push es
    xor ax, ax
    mov es, ax
    mov word [es:6 * 4], R16(ud_handler)  ; IVT vector 6: #UD
    mov word [es:6 * 4 + 2], 0xF000
    pop es
    db 0x0F, 0x77                   ; emms
    RM_PRINT "unimpl: EMMS passed", 10
    ret

; #UD (a fault: the return address is the instruction): say so, step over the two bytes
ud_handler:
    RM_PRINT "unimpl: #UD at EMMS", 10
    push bp
    mov bp, sp
    add word [bp + 2], 2
    pop bp
    iret

bits 32
pm_main:
    PRINT "unimpl: done", 10
    xor eax, eax
    ret

section rodata
rm_banner:
    db "xlat unimpl ROM", 10, 0
