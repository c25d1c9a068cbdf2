; tests/guests/triple.asm — a triple fault resets the machine (SDM Vol. 3A 6.15, interrupt 8:
; a fault while delivering a double fault shuts the processor down; the PC chipset turns the
; shutdown into a reset). RAM survives the reset, so the second boot finds the marker the first
; one left and ends the test. With an empty IDT, INT3 cannot be delivered (#GP), nor can the #GP
; (a double fault), nor the #DF: a triple fault. Under -no-reboot xlat stops instead (status 4).
;
; Build: nasm -f bin -I tests/guests/ -o o/roms/triple.bin tests/guests/triple.asm

%include "common.inc"

MARKER      equ 0x80000

section rom
bits 16
rm_main:
    ret

bits 32
pm_main:
    cmp dword [MARKER], 0x55AA55AA
    je .second
    mov dword [MARKER], 0x55AA55AA
    PRINT "first boot: INT3 with an empty IDT", 10
    lidt [empty_idt]
    int3
    PRINT "not reached", 10
    mov eax, 1
    ret
.second:
    PRINT "second boot: the triple fault reset the machine, RAM kept", 10
    xor eax, eax
    ret

section rodata
empty_idt:
    dw 0
    dd 0
rm_banner:
    db "xlat triple-fault ROM", 10, 0
