; tests/guests/pitpic.asm — the 8254 timer and the 8259 interrupt controllers, in real mode.
;
; Programs the PIC pair as the AT BIOS does (vectors 0x08 / 0x70, only IRQ 0 unmasked), PIT
; channel 0 as a rate generator (mode 2) with a period of P = 5966 CLKs (5 ms), and channel 2
; as a one-shot reference (mode 0, gate through port 0x61) of 10.5 periods. The CPU then
; sleeps in HLT; every IRQ 0 goes through the IVT to a handler that counts it and sends an EOI,
; until channel 2's OUT (port 0x61 bit 5) is high. Interrupt k arrives k periods after channel
; 0 was loaded, so the 11th is the first to find the reference expired: the count is 11 on any
; emulator whose PIT and PIC follow the datasheets, however fast or slow it runs (the half
; period on either side leaves 2.5 ms for interrupt latency).
;
; Then, with interrupts disabled: the ISR as the handler saw it (0x01: IR0 in service, Intel
; 8259A datasheet "Reading the 8259A Status"), the IMR read back, and the poll command
; ("The Poll Command": wait for IRR bit 0, then the poll word is 0x80 | 0, and IR0 goes in
; service). Results are printed from protected mode; the ROM exits with 0 (qemu status 1) if
; they are the expected ones, else 1 (status 3).
;
; The plain qemu command below gives the same output on an idle host; run-rom-tests adds
; -icount shift=0,sleep=off to qemu, whose timers otherwise follow the host's clock and lose
; ticks when the host is busy (two IRQ 0 edges within one unserved period merge in the 8259).
;
; Build: nasm -f bin -I tests/guests/ -o o/roms/pitpic.bin tests/guests/pitpic.asm
; Run:   qemu-system-i386 -nodefaults -display none -bios o/roms/pitpic.bin \
;            -device isa-debug-exit,iobase=0xf4,iosize=0x04 -debugcon stdio

%include "common.inc"
%include "pc.inc"

PERIOD      equ 5966                ; channel 0 count: 5 ms at 1.193182 MHz
REFERENCE   equ 62643               ; channel 2 count: 10.5 periods
EXPECTED    equ 11

; variables in low RAM (real mode: segment 0; protected mode: flat)
V_TICKS     equ 0x500               ; word: interrupts counted
V_ISR       equ 0x502               ; byte: ISR read in the first handler
V_IMR       equ 0x503               ; byte: IMR read back
V_POLL      equ 0x504               ; byte: the poll word
V_POLLISR   equ 0x505               ; byte: ISR after the poll

; ---------------------------------------------------------------------------------------------
section rom
bits 16
rm_main:
    xor ax, ax
    mov es, ax                      ; ES = 0: the IVT and the variables
    mov word [es:V_TICKS], 0
    mov byte [es:V_ISR], 0xff
    ; IVT entry 0x08 (IRQ 0 once the master's ICW2 is 0x08)
    mov word [es:0x08 * 4], R16(irq0_handler)
    mov word [es:0x08 * 4 + 2], 0xF000

    call rm_virtual_wire            ; pc.inc: the 8259's INT reaches the CPU

    ; channel 2 stopped (gate low, speaker off) while it is set up
    in al, 0x61
    and al, 0xfc
    out 0x61, al

    ; channel 0: mode 2, LSB then MSB, binary
    mov al, 0x34
    out 0x43, al
    mov ax, PERIOD
    out 0x40, al
    mov al, ah
    out 0x40, al

    ; the PICs (pc.inc); ICW1 also forgets any edge seen before (the PIT's reprogramming)
    call rm_pic_init
    mov al, 0xfe                    ; only IRQ 0
    out 0x21, al

    ; channel 2: mode 0, LSB then MSB, binary; counting starts when its gate goes high
    mov al, 0xb0
    out 0x43, al
    mov ax, REFERENCE
    out 0x42, al
    mov al, ah
    out 0x42, al
    in al, 0x61
    or al, 0x01
    out 0x61, al

    sti
.sleep:
    hlt                             ; woken by IRQ 0 (the only unmasked interrupt)
    in al, 0x61
    test al, 0x20                   ; channel 2's OUT: the reference has expired
    jz .sleep
    cli

    ; the IMR reads back at the odd port
    in al, 0x21
    mov [es:V_IMR], al

    ; poll mode: wait for the next IRQ 0 request (IRR bit 0), then poll it
.irr:
    mov al, 0x0a                    ; OCW3: read IRR
    out 0x20, al
    in al, 0x20
    test al, 0x01
    jz .irr
    mov al, 0x0c                    ; OCW3: poll
    out 0x20, al
    in al, 0x20
    mov [es:V_POLL], al
    mov al, 0x0b                    ; OCW3: read ISR
    out 0x20, al
    in al, 0x20
    mov [es:V_POLLISR], al
    mov al, 0x20                    ; non-specific EOI
    out 0x20, al

    ; quiet: mask everything before leaving real mode
    mov al, 0xff
    out 0x21, al
    ret

; IRQ 0: count, note the ISR the first time, EOI.
irq0_handler:
    push ax
    push ds
    xor ax, ax
    mov ds, ax
    inc word [V_TICKS]
    cmp byte [V_ISR], 0xff
    jne .eoi
    mov al, 0x0b                    ; OCW3: read ISR
    out 0x20, al
    in al, 0x20
    mov [V_ISR], al
    mov al, 0x0a                    ; back to reading the IRR
    out 0x20, al
.eoi:
    mov al, 0x20
    out 0x20, al
    pop ds
    pop ax
    iret

bits 32
pm_main:
    xor ebx, ebx                    ; failures
    PRINT "pit: channel 0 period 5966, reference 10.5 periods on channel 2", 10
    PRINT "pit: interrupts until the reference expired: "
    movzx eax, word [V_TICKS]
    call put_dec
    call newline
    cmp eax, EXPECTED
    je .ticks_ok
    PRINT "FAIL: expected 11", 10
    inc ebx
.ticks_ok:
    PRINT "pic: ISR in the handler 0x"
    movzx eax, byte [V_ISR]
    call put_hex8
    PRINT ", IMR 0x"
    movzx eax, byte [V_IMR]
    call put_hex8
    PRINT ", poll word 0x"
    movzx eax, byte [V_POLL]
    call put_hex8
    PRINT ", ISR after the poll 0x"
    movzx eax, byte [V_POLLISR]
    call put_hex8
    call newline
    cmp byte [V_ISR], 0x01
    jne .pic_fail
    cmp byte [V_IMR], 0xfe
    jne .pic_fail
    cmp byte [V_POLL], 0x80
    jne .pic_fail
    cmp byte [V_POLLISR], 0x01
    je .pic_ok
.pic_fail:
    PRINT "FAIL: expected ISR 0x01, IMR 0xFE, poll 0x80, ISR 0x01", 10
    inc ebx
.pic_ok:
    test ebx, ebx
    jnz .fail
    PRINT "pitpic: OK", 10
    xor eax, eax
    ret
.fail:
    mov eax, 1
    ret

; put_hex8: print AL as 2 hex digits.
put_hex8:
    push eax
    push ecx
    push edx
    mov edx, eax
    shl edx, 24
    mov ecx, 2
.digit:
    mov eax, edx
    shr eax, 28
    mov al, [hex_digits + eax]
    out DEBUGCON, al
    shl edx, 4
    loop .digit
    pop edx
    pop ecx
    pop eax
    ret

; ---------------------------------------------------------------------------------------------
section rodata
rm_banner:
    db "xlat pitpic ROM: 8254 and 8259 in real mode", 10, 0
