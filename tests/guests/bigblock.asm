; tests/guests/bigblock.asm — blocks that push the translator's limits: 600 shifts by CL in a
; row (each needs local temps across its count-zero branch) and 600 ADC/SBB in a row, in one
; straight line. xlat must split the block where its IR would outgrow a backend's frame; the
; results must equal qemu's.
;
; Build: nasm -f bin -I tests/guests/ -o o/roms/bigblock.bin tests/guests/bigblock.asm

%include "common.inc"

section rom
bits 16
rm_main:
    ret

bits 32
pm_main:
    mov eax, 0x12345679
    mov ecx, 3
%rep 300
    shl eax, cl
    add eax, ecx
    sar eax, cl
    xor eax, 0x5a5a
%endrep
    PRINT "shifts: 0x"
    call put_hex
    call newline
    mov eax, 0x9abcdef0
    mov edx, 0x13579bdf
    stc
%rep 300
    adc eax, edx
    sbb edx, eax
%endrep
    PRINT "adc/sbb: 0x"
    call put_hex
    PRINT " 0x"
    mov eax, edx
    call put_hex
    call newline
    xor eax, eax
    ret

section rodata
rm_banner:
    db "xlat bigblock ROM", 10, 0
