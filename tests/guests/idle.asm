; tests/guests/idle.asm — an idle guest: 10 seconds of virtual time asleep in HLT.
;
; Programs PIT channel 0 for 100 Hz (mode 2, 11932 CLKs at 1.193182 MHz; Intel 8254 datasheet,
; "Mode 2") and the PICs as the AT BIOS does, then sleeps in HLT until 1000 timer interrupts
; have been counted by the IRQ 0 handler: 1000 periods, 10.0 s of virtual time (11932000
; CLKs). Prints the count and exits with 0 (qemu status 1).
;
; What it measures: xlat lets virtual time jump to the next timer deadline when the CPU halts
; (DESIGN.md, "Time and determinism"), so the 10 virtual seconds must cost well under a second
; of host time (tests/guests/run-rom-tests checks it). Under qemu-system-i386 it takes 10 real
; seconds, the same output.
;
; Build: nasm -f bin -I tests/guests/ -o o/roms/idle.bin tests/guests/idle.asm

%include "common.inc"
%include "pc.inc"

PERIOD      equ 11932               ; 100 Hz
SLEEPS      equ 1000                ; 10 s
V_TICKS     equ 0x500               ; word: IRQ 0 interrupts counted

section rom
bits 16
rm_main:
    xor ax, ax
    mov es, ax
    mov word [es:V_TICKS], 0
    mov word [es:0x08 * 4], R16(irq0_handler)
    mov word [es:0x08 * 4 + 2], 0xF000
    call rm_virtual_wire
    mov al, 0x34                    ; channel 0, LSB then MSB, mode 2, binary
    out 0x43, al
    mov ax, PERIOD
    out 0x40, al
    mov al, ah
    out 0x40, al
    call rm_pic_init
    mov al, 0xfe                    ; IRQ 0 only
    out 0x21, al
    sti
.sleep:
    hlt
    cmp word [es:V_TICKS], SLEEPS
    jb .sleep
    cli
    mov al, 0xff
    out 0x21, al
    ret

irq0_handler:
    push ax
    push ds
    xor ax, ax
    mov ds, ax
    inc word [V_TICKS]
    mov al, 0x20                    ; non-specific EOI
    out 0x20, al
    pop ds
    pop ax
    iret

bits 32
pm_main:
    PRINT "idle: slept through "
    movzx eax, word [V_TICKS]
    call put_dec
    PRINT " timer interrupts at 100 Hz in HLT", 10
    xor eax, eax
    cmp word [V_TICKS], SLEEPS
    je .done
    inc eax
.done:
    ret

section rodata
rm_banner:
    db "xlat idle ROM: 10 s of HLT", 10, 0
