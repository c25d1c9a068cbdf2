; tests/guests/pmexc.asm — protected-mode exceptions, interrupts and paging, checked against qemu.
;
; An IDT in RAM with 32-bit interrupt and trap gates; each handler records what the CPU pushed
; (vector, error code, return EIP relative to the faulting instruction, CS) and the test prints it:
;   #DE from DIV (EIP = the DIV), #UD from UD2, #BP from INT3 (EIP after it), #GP from loading a
;   selector beyond the GDT limit (error code = the selector), INT 30h through an interrupt gate
;   (IF cleared inside) and INT 31h through a trap gate (IF kept) — SDM Vol. 3A 6.12 and 6.13.
; Then 32-bit paging with a 4 MiB PSE page and a page table (SDM Vol. 3A 4.3): a write to a
; not-present page (#PF, CR2, error code 2), a write to a read-only page with CR0.WP (error code
; 3), the Accessed and Dirty bits the walk sets, INVLPG and a CR3 reload making a changed PTE
; visible. Every line must be byte-identical to qemu-system-i386's.
;
; Build: nasm -f bin -I tests/guests/ -o o/roms/pmexc.bin tests/guests/pmexc.asm

%include "common.inc"

IDT         equ 0x10000
PD          equ 0x20000
PT          equ 0x21000
V_VEC       equ 0x30000             ; what the last handler saw
V_ERR       equ 0x30004
V_EIP       equ 0x30008
V_CS        equ 0x3000C
V_IF        equ 0x30010
V_CR2       equ 0x30014
V_SKIP      equ 0x30018             ; bytes the handler adds to the return EIP

section rom
bits 16
rm_main:
    ret

bits 32
; set_gate: ECX = vector, EAX = handler, EDX = type byte (8Eh interrupt gate, 8Fh trap gate)
set_gate:
    push ebx
    lea ebx, [IDT + ecx * 8]
    mov [ebx], ax                   ; offset 15..0
    mov word [ebx + 2], CODE_SEL
    mov byte [ebx + 4], 0
    mov [ebx + 5], dl
    shr eax, 16
    mov [ebx + 6], ax               ; offset 31..16
    pop ebx
    ret

; handlers: exceptions without an error code push a dummy so one path records everything
%macro HANDLER_NOERR 1
h_%1:
    push dword 0
    push dword %1
    jmp common_handler
%endmacro
%macro HANDLER_ERR 1
h_%1:
    push dword %1
    jmp common_handler
%endmacro
HANDLER_NOERR 0
HANDLER_NOERR 3
HANDLER_NOERR 6
HANDLER_ERR 13
HANDLER_ERR 14
HANDLER_NOERR 0x30
HANDLER_NOERR 0x31

; stack: vector, error, eip, cs, eflags
common_handler:
    push eax
    mov eax, [esp + 4]
    mov [V_VEC], eax
    mov eax, [esp + 8]
    mov [V_ERR], eax
    mov eax, [esp + 12]
    mov [V_EIP], eax
    mov eax, [esp + 16]
    mov [V_CS], eax
    pushfd                          ; IF inside the handler
    pop eax
    and eax, 0x200
    mov [V_IF], eax
    mov eax, cr2
    mov [V_CR2], eax
    cmp dword [V_VEC], 14
    jne .skip
    call fix_page                   ; #PF: make the page accessible, retry the instruction
.skip:
    mov eax, [V_SKIP]
    add [esp + 12], eax             ; step over the faulting instruction if asked
    pop eax
    add esp, 8                      ; vector and error code
    iretd

; fix_page: map the page in CR2 present and writable (PT covers 4..8 MiB), flush it
fix_page:
    push ebx
    mov ebx, [V_CR2]
    sub ebx, 0x400000
    shr ebx, 12
    mov eax, ebx
    shl eax, 12
    add eax, 0x400003
    mov [PT + ebx * 4], eax
    mov ebx, [V_CR2]
    invlpg [ebx]
    pop ebx
    ret

; report: "NAME vec V err E eip+D cs C if I" with D = saved EIP - EBX (the expected anchor)
%macro REPORT 1
    PRINT %1, " vec 0x"
    mov eax, [V_VEC]
    call put_hex
    PRINT " err 0x"
    mov eax, [V_ERR]
    call put_hex
    PRINT " eip-anchor 0x"
    mov eax, [V_EIP]
    sub eax, ebx
    call put_hex
    PRINT " cs 0x"
    mov eax, [V_CS]
    call put_hex
    PRINT " if 0x"
    mov eax, [V_IF]
    call put_hex
    call newline
%endmacro

pm_main:
    ; no interrupt may arrive: mask both PICs (harmless where there is none)
    mov al, 0xFF
    out 0x21, al
    out 0xA1, al
    ; an IDT of 256 not-present gates, then the handlers
    mov edi, IDT
    mov ecx, 512
    xor eax, eax
.clear:
    mov [edi], eax
    add edi, 4
    loop .clear
    mov edx, 0x8E
    mov ecx, 0
    mov eax, h_0
    call set_gate
    mov ecx, 3
    mov eax, h_3
    call set_gate
    mov ecx, 6
    mov eax, h_6
    call set_gate
    mov ecx, 13
    mov eax, h_13
    call set_gate
    mov ecx, 14
    mov eax, h_14
    call set_gate
    mov ecx, 0x30
    mov eax, h_0x30
    call set_gate
    mov edx, 0x8F
    mov ecx, 0x31
    mov eax, h_0x31
    call set_gate
    lidt [idt_desc]
    sti

    ; #DE: the pushed EIP is the DIV's
    mov dword [V_SKIP], 2
    mov eax, 1
    xor edx, edx
    xor ecx, ecx
    mov ebx, .div
.div:
    div ecx
    REPORT "#DE"

    ; #UD from UD2
    mov ebx, .ud
.ud:
    ud2
    REPORT "#UD"

    ; #BP: a trap, the pushed EIP is after INT3
    mov dword [V_SKIP], 0
    mov ebx, .bp
    int3
.bp:
    REPORT "#BP"

    ; #GP(selector) for a selector beyond the GDT limit
    mov dword [V_SKIP], 2
    mov ax, 0x1230
    mov ebx, .gp
.gp:
    mov ds, ax
    REPORT "#GP"

    ; software interrupts: an interrupt gate clears IF, a trap gate keeps it
    mov dword [V_SKIP], 0
    mov ebx, .i30
    int 0x30
.i30:
    REPORT "INT30"
    mov ebx, .i31
    int 0x31
.i31:
    REPORT "INT31"
    cli

    ; ---- paging: PDE 0 a 4 MiB page (identity), PDE 1 a page table for 4..8 MiB
    mov edi, PD
    mov ecx, 1024
    xor eax, eax
.pd:
    mov [edi], eax
    add edi, 4
    loop .pd
    mov dword [PD], 0x00000083          ; 4 MiB, present, writable
    mov dword [PD + 4], PT + 3          ; page table, present, writable
    mov edi, PT
    mov eax, 0x400003
    mov ecx, 1024
.pt:
    mov [edi], eax
    add eax, 0x1000
    add edi, 4
    loop .pt
    mov dword [PT + 0x100 * 4], 0       ; 0x500000 not present
    mov dword [PT + 0x200 * 4], 0x600001 ; 0x600000 read-only
    mov eax, cr4
    or eax, 0x10                        ; CR4.PSE
    mov cr4, eax
    mov eax, PD
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80010000                  ; PG | WP
    mov cr0, eax

    mov dword [V_SKIP], 0
    mov ebx, .pf1
.pf1:
    mov dword [0x500010], 0x11223344    ; not present: #PF, then fixed and retried
    REPORT "#PF-np"
    PRINT "  cr2 0x"
    mov eax, [V_CR2]
    call put_hex
    PRINT " value 0x"
    mov eax, [0x500010]
    call put_hex
    call newline

    mov ebx, .pf2
.pf2:
    mov dword [0x600020], 0x55667788    ; read-only with WP: #PF error 3
    REPORT "#PF-ro"
    PRINT "  cr2 0x"
    mov eax, [V_CR2]
    call put_hex
    call newline

    ; accessed and dirty bits: a read sets A, a write sets D (SDM 4.8)
    and dword [PT + 0x101 * 4], 0xFFFFFF9F
    mov eax, cr3
    mov cr3, eax
    mov eax, [0x501000]
    PRINT "A/D after read 0x"
    mov eax, [PT + 0x101 * 4]
    and eax, 0x60
    call put_hex
    mov dword [0x501000], 1
    PRINT " after write 0x"
    mov eax, [PT + 0x101 * 4]
    and eax, 0x60
    call put_hex
    call newline

    ; INVLPG and CR3 reload make a changed PTE visible
    mov dword [0x403000], 0xAAAA0001
    mov dword [0x405000], 0xBBBB0002
    mov eax, [0x402000]                 ; cache the old translation
    mov dword [PT + 2 * 4], 0x403003
    invlpg [0x402000]
    PRINT "after invlpg 0x"
    mov eax, [0x402000]
    call put_hex
    mov dword [PT + 2 * 4], 0x405003
    mov eax, cr3
    mov cr3, eax
    PRINT " after cr3 reload 0x"
    mov eax, [0x402000]
    call put_hex
    call newline

    ; paging off again
    mov eax, cr0
    and eax, 0x7FFFFFFF
    mov cr0, eax
    PRINT "pmexc: done", 10
    xor eax, eax
    ret

section rodata
idt_desc:
    dw 256 * 8 - 1
    dd IDT
rm_banner:
    db "xlat pmexc ROM", 10, 0
