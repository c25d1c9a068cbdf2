; tests/guests/echo.asm — echoes what arrives on COM1, with the time it arrived, for the tests of
; host input (softmmu/chardev.c) and of -record/-replay (softmmu/replay.c).
;
; COM1 at 115200 8N1 with the FIFOs on (trigger level 1) and the received-data interrupt on IRQ 4
; (NS16550A datasheet: IER bit 0, MCR OUT2 gates the interrupt onto the bus on the PC), the PICs
; as the AT BIOS sets them (pc.inc), vector 0x0C. It prints "ready" on COM1 and sleeps in HLT
; for the first character (so the host's input wakes a halted CPU), then runs a busy loop (so
; input arrives at instruction counts the host's timing decides). The interrupt handler moves
; each character into a ring; the main loop prints, for each, a line
;     XX @ TTTTTTTTTTTTTTTT
; with the character in hex and the 64-bit time stamp counter (RDTSC: xlat's virtual clock) when
; the main loop took it. A 'q' ends the run through isa-debug-exit with 0 (status 1).
;
; Build: nasm -f bin -I tests/guests/ -o o/roms/echo.bin tests/guests/echo.asm

%include "common.inc"
%include "pc.inc"

COM1        equ 0x3F8
V_HEAD      equ 0x500               ; byte: ring write index (the handler)
V_TAIL      equ 0x501               ; byte: ring read index (the main loop)
V_RING      equ 0x600               ; 256 bytes

section rom
bits 16
rm_main:
    xor ax, ax
    mov es, ax
    mov byte [es:V_HEAD], 0
    mov byte [es:V_TAIL], 0
    mov word [es:0x0C * 4], R16(com1_irq)
    mov word [es:0x0C * 4 + 2], 0xF000
    call rm_virtual_wire            ; pc.inc: the 8259's INT reaches the CPU

    ; 115200 8N1: DLAB, divisor 1, LCR 0x03
    mov dx, COM1 + 3
    mov al, 0x83
    out dx, al
    mov dx, COM1
    mov al, 1
    out dx, al
    inc dx
    xor al, al
    out dx, al
    mov dx, COM1 + 3
    mov al, 0x03
    out dx, al
    mov dx, COM1 + 2                ; FIFOs on and reset, trigger level 1
    mov al, 0x07
    out dx, al
    mov dx, COM1 + 4                ; DTR, RTS, OUT2
    mov al, 0x0b
    out dx, al
    mov dx, COM1 + 1                ; received data available interrupt
    mov al, 0x01
    out dx, al

    call rm_pic_init
    mov al, 0xef                    ; only IRQ 4
    out 0x21, al

    mov si, R16(s_ready)
    call com_puts

    ; the first character: asleep
.first:
    cli
    mov al, [es:V_HEAD]
    cmp al, [es:V_TAIL]
    jne .loop
    sti
    hlt
    jmp .first

.loop:
    cli
    mov bl, [es:V_TAIL]
    cmp bl, [es:V_HEAD]
    sti
    je .spin
    xor bh, bh
    mov cl, [es:V_RING + bx]
    inc bl
    mov [es:V_TAIL], bl
    rdtsc
    push eax
    mov al, cl
    call com_hex8
    mov si, R16(s_at)
    call com_puts
    mov eax, edx
    call com_hex32
    pop eax
    call com_hex32
    mov al, 10
    call com_putc
    cmp cl, 'q'
    jne .loop
    ; wait until the transmitter is empty, then leave
    mov dx, COM1 + 5
.drain:
    in al, dx
    test al, 0x40
    jz .drain
    xor al, al
    out EXIT_PORT, al
    jmp $
.spin:
    ; busy: some work between looks at the ring
    mov cx, 50
.work:
    loop .work
    jmp .loop

; IRQ 4: every character the receiver holds goes into the ring
com1_irq:
    push ax
    push bx
    push dx
    push es
    xor ax, ax
    mov es, ax
.more:
    mov dx, COM1 + 5
    in al, dx
    test al, 0x01
    jz .done
    mov dx, COM1
    in al, dx
    mov bl, [es:V_HEAD]
    xor bh, bh
    mov [es:V_RING + bx], al
    inc bl
    mov [es:V_HEAD], bl
    jmp .more
.done:
    mov al, 0x20
    out 0x20, al
    pop es
    pop dx
    pop bx
    pop ax
    iret

; com_putc: AL to COM1, once the transmitter holding register is empty
com_putc:
    push dx
    push ax
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop ax
    mov dx, COM1
    out dx, al
    pop dx
    ret

; com_puts: the string at DS:SI
com_puts:
    push ax
.next:
    mov al, [si]
    test al, al
    jz .end
    call com_putc
    inc si
    jmp .next
.end:
    pop ax
    ret

; com_hex8: AL as two hex digits
com_hex8:
    push ax
    push bx
    mov bl, al
    shr al, 4
    call .nibble
    mov al, bl
    and al, 0x0f
    call .nibble
    pop bx
    pop ax
    ret
.nibble:
    push bx
    xor bh, bh
    mov bl, al
    mov al, [R16(hex_digits) + bx]
    call com_putc
    pop bx
    ret

; com_hex32: EAX as eight hex digits
com_hex32:
    push eax
    push cx
    mov cx, 4
.byte:
    rol eax, 8
    call com_hex8
    loop .byte
    pop cx
    pop eax
    ret

bits 32
pm_main:
    xor eax, eax                    ; not reached: the ROM ends from real mode
    ret

section rodata
rm_banner: db "echo", 10, 0
s_ready:   db "ready", 10, 0
s_at:      db " @ ", 0
