; tests/guests/serial.asm — the 16550A UART at COM1 (0x3F8), in real mode.
;
; Programs COM1 as a BIOS does for 115200 baud, 8 data bits, no parity, 1 stop bit (divisor 1,
; LCR 0x03; NS16550A datasheet, "Divisor Latches" and "Line Control Register"), turns the FIFOs
; on (FCR 0xC7), and checks what the datasheet fixes regardless of timing:
;   - the divisor latch reads back under DLAB, and the scratch register holds a value;
;   - IIR with the FIFOs on and nothing pending reads 0xC1;
;   - in loopback (MCR bit 4) a line sent comes back through the receiver, byte for byte, and
;     MCR's DTR, RTS, OUT1, OUT2 read back as DSR, CTS, RI, DCD in MSR's top bits;
;   - LSR shows the transmitter empty (THRE and TEMT) once it has finished.
; Then, out of loopback, it prints a line on COM1 itself, waiting for THRE before each byte.
; Results go to the debug console; the ROM exits with 0 (qemu status 1) if all held.
;
; Under qemu the UART exists only when asked for: run-rom-tests gives qemu -serial null (and a
; file, to compare what COM1 printed).
;
; Build: nasm -f bin -I tests/guests/ -o o/roms/serial.bin tests/guests/serial.asm

%include "common.inc"

COM1        equ 0x3F8
V_FAILS     equ 0x500                ; word: checks that failed
V_BUF       equ 0x510                ; what came back in loopback

section rom
bits 16
rm_main:
    xor ax, ax
    mov es, ax
    mov word [es:V_FAILS], 0

    ; 115200 8N1: DLAB on, divisor 1, then LCR 0x03
    mov dx, COM1 + 3
    mov al, 0x83
    out dx, al
    mov dx, COM1
    mov al, 1
    out dx, al
    inc dx
    mov al, 0
    out dx, al
    mov dx, COM1
    in al, dx
    cmp al, 1
    je .dll_ok
    RM_PRINT "FAIL: DLL did not read back", 10
    inc word [es:V_FAILS]
.dll_ok:
    mov dx, COM1 + 3
    mov al, 0x03
    out dx, al
    ; scratch register
    mov dx, COM1 + 7
    mov al, 0x5a
    out dx, al
    in al, dx
    cmp al, 0x5a
    je .scr_ok
    RM_PRINT "FAIL: scratch register", 10
    inc word [es:V_FAILS]
.scr_ok:
    ; FIFOs on, both reset, trigger level 14; no interrupt pending: IIR 0xC1
    mov dx, COM1 + 2
    mov al, 0xc7
    out dx, al
    mov dx, COM1 + 1
    mov al, 0
    out dx, al                      ; no interrupts
    mov dx, COM1 + 2
    in al, dx
    RM_PRINT "serial: IIR with FIFOs on 0x"
    call rm_put_hex8
    RM_PRINT 10
    cmp al, 0xc1
    je .iir_ok
    inc word [es:V_FAILS]
.iir_ok:
    ; loopback with DTR and OUT2 only: MSR lines DSR and DCD
    mov dx, COM1 + 4
    mov al, 0x19                    ; LOOP, OUT2, DTR
    out dx, al
    mov dx, COM1 + 6
    in al, dx
    and al, 0xf0
    RM_PRINT "serial: loopback MSR lines 0x"
    call rm_put_hex8
    RM_PRINT 10
    cmp al, 0xa0                    ; DCD (OUT2) and DSR (DTR)
    je .msr_ok
    inc word [es:V_FAILS]
.msr_ok:
    ; send a line in loopback, read it back
    mov si, R16(loop_text)
    mov di, V_BUF
.send:
    mov bl, [si]
    test bl, bl
    jz .sent
    call com1_putc
.wait_rx:
    mov dx, COM1 + 5
    in al, dx
    test al, 0x01                   ; DR
    jz .wait_rx
    mov dx, COM1
    in al, dx
    mov [es:di], al
    inc si
    inc di
    jmp .send
.sent:
    mov byte [es:di], 0
    ; compare
    mov si, R16(loop_text)
    mov di, V_BUF
.cmp:
    mov al, [si]
    cmp al, [es:di]
    jne .loop_fail
    test al, al
    jz .loop_ok
    inc si
    inc di
    jmp .cmp
.loop_fail:
    RM_PRINT "FAIL: loopback data differs", 10
    inc word [es:V_FAILS]
.loop_ok:
    RM_PRINT "serial: loopback returned: "
    push ds
    push es
    pop ds
    mov si, V_BUF
    call rm_puts
    pop ds
    ; the transmitter has finished: LSR THRE and TEMT
.wait_temt:
    mov dx, COM1 + 5
    in al, dx
    and al, 0x60
    cmp al, 0x60
    jne .wait_temt
    ; out of loopback: a line on COM1 itself
    mov dx, COM1 + 4
    mov al, 0x0b                    ; OUT2, RTS, DTR
    out dx, al
    mov si, R16(hello_text)
.hello:
    mov bl, [si]
    test bl, bl
    jz .done
    call com1_putc
    inc si
    jmp .hello
.done:
    ret

; com1_putc: send BL when THR is empty. Clobbers AL, DX.
com1_putc:
    mov dx, COM1 + 5
.thre:
    in al, dx
    test al, 0x20
    jz .thre
    mov dx, COM1
    mov al, bl
    out dx, al
    ret

; rm_put_hex8: AL as two hex digits on the debug console. Preserves all registers but flags.
rm_put_hex8:
    push ax
    push bx
    push cx
    mov cl, al
    mov bl, al
    shr bl, 4
    xor bh, bh
    mov al, [R16(hex_digits) + bx]
    out DEBUGCON, al
    mov bl, cl
    and bl, 0x0f
    mov al, [R16(hex_digits) + bx]
    out DEBUGCON, al
    pop cx
    pop bx
    pop ax
    ret

bits 32
pm_main:
    xor eax, eax
    cmp word [V_FAILS], 0
    je .ok
    inc eax
    PRINT "serial: FAILED", 10
    ret
.ok:
    PRINT "serial: OK", 10
    ret

section rodata
rm_banner:
    db "xlat serial ROM: the 16550A at COM1", 10, 0
loop_text:
    db "looped back through the UART", 10, 0
hello_text:
    db "hello from COM1", 10, 0
