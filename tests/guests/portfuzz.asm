; tests/guests/portfuzz.asm — every device must survive nonsense: 300,000 port writes and reads
; of random sizes, ports and values (xorshift32, so runs repeat exactly), then a report. The
; guest may well break its own machine on the way (a reset, a power-off, a DMA over its stack):
; what the test asks is that the host process never crashes, and that both backends agree.
; Ports 0xF4-0xF7 (isa-debug-exit) are skipped so the run ends on our terms when it gets there.
;
; Build: nasm -f bin -I tests/guests/ -o o/roms/portfuzz.bin tests/guests/portfuzz.asm

%include "common.inc"

STEPS       equ 300000

section rom
bits 16
rm_main:
    ret

bits 32
pm_main:
    PRINT "portfuzz: random port I/O", 10
    mov ebx, 2463534242             ; xorshift32 state
    mov esi, STEPS
.step:
    XORSHIFT32                      ; EBX = the next xorshift32 value (EAX clobbered)
    mov edx, ebx
    shr edx, 16                     ; port
    mov ecx, edx
    and ecx, 0xFFFC
    cmp ecx, 0xF4
    je .next
    mov eax, ebx                    ; value
    test bl, 1
    jz .read
    test bl, 2
    jz .out8
    test bl, 4
    jz .out16
    out dx, eax
    jmp .next
.out16:
    out dx, ax
    jmp .next
.out8:
    out dx, al
    jmp .next
.read:
    test bl, 2
    jz .in8
    in eax, dx
    jmp .next
.in8:
    in al, dx
.next:
    dec esi
    jnz .step
    PRINT "portfuzz: survived", 10
    xor eax, eax
    ret

section rodata
rm_banner:
    db "xlat portfuzz ROM", 10, 0
