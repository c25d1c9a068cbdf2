; tests/guests/kernels/longmode-dr.asm — debug registers in 64-bit mode (Intel SDM Vol. 3A
; 17.2.6): MOV to and from DRn moves 64 bits, DR0-DR3 hold 64-bit linear addresses, and a 1 in
; bits 63:32 of DR6 or DR7 is #GP(0). A data breakpoint watches a linear address above 4 GiB
; (not the physical bytes: the same page through another mapping does not hit), and an
; instruction breakpoint compares RIP. Reference: qemu-system-x86_64.
;
; The switch to IA-32e mode is the one of longmode.asm (SDM Vol. 3A 9.8.5): identity-mapped
; first GiB with 2 MiB pages, and a 4 KiB page at ALIAS mapping alias_page a second time.

bits 32
LOAD_ADDR   equ 0x100000
MB_MAGIC    equ 0x1BADB002
MB_FLAGS    equ 0x00010003          ; bit 16: address fields; bits 0, 1: alignment, memory info
DEBUGCON    equ 0xE9
EXIT_PORT   equ 0xF4
ALIAS       equ 0x00007f0000000000  ; PML4 index 254

org LOAD_ADDR
image_start:
align 4
header:
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)
    dd header                       ; header_addr
    dd image_start                  ; load_addr
    dd load_end                     ; load_end_addr
    dd bss_end                      ; bss_end_addr
    dd entry                        ; entry_addr

entry:
    mov esp, stack_top
    mov eax, 0x80000001
    cpuid
    test edx, 1 << 29               ; LM
    jnz .has_lm
    mov esi, msg_nolm
.puts32:
    mov al, [esi]
    test al, al
    jz .out32
    out DEBUGCON, al
    inc esi
    jmp .puts32
.out32:
    mov eax, 1
    out EXIT_PORT, eax
    cli
    hlt

.has_lm:
    ; PML4[0] -> pdpt_lo -> pd_lo (512 x 2 MiB); PML4[254] -> pdpt_hi -> pd_hi -> pt_hi,
    ; whose entry 0 maps alias_page
    mov dword [pml4], pdpt_lo + 7
    mov dword [pml4 + 254 * 8], pdpt_hi + 7
    mov dword [pdpt_lo], pd_lo + 7
    mov dword [pdpt_hi], pd_hi + 7
    mov dword [pd_hi], pt_hi + 7
    mov dword [pt_hi], alias_page + 7
    mov edi, pd_lo
    mov eax, 0x87                   ; present, writable, user, PS
    mov ecx, 512
.fill:
    mov [edi], eax
    add eax, 0x200000
    add edi, 8
    dec ecx
    jnz .fill

    lgdt [gdtr]
    mov eax, cr4
    or eax, 1 << 5                  ; PAE
    mov cr4, eax
    mov eax, pml4
    mov cr3, eax
    mov ecx, 0xC0000080             ; EFER
    rdmsr
    or eax, 1 << 8                  ; LME
    wrmsr
    mov eax, cr0
    or eax, 0x80000001              ; PG, PE
    mov cr0, eax
    jmp 0x08:long_entry

bits 64
long_entry:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rsp, stack_top
    xor ebp, ebp                    ; failures
    lea rsi, [rel msg_plan]
    call puts

    ; the IDT: #DB (1), #GP (13) as 64-bit interrupt gates
    mov eax, 1
    lea rbx, [rel db_handler]
    call set_gate
    mov eax, 13
    lea rbx, [rel gp_handler]
    call set_gate
    lidt [rel idtr]

    ; 1: MOV DR0 moves 64 bits both ways
    mov rax, 0x123456789abcdef0
    mov dr0, rax
    xor ebx, ebx
    mov rbx, dr0
    cmp rbx, rax
    setne al
    lea rsi, [rel msg_dr0]
    call tap

    ; 2: a 1 in bits 63:32 of DR7 or DR6 is #GP(0), and the register keeps its value
    mov qword [rel got_vec], -1
    lea rax, [rel .after_gp7]
    mov [rel resume], rax
    mov rax, 1 << 32
    mov dr7, rax
.after_gp7:
    mov r8, [rel got_vec]
    mov qword [rel got_vec], -1
    lea rax, [rel .after_gp6]
    mov [rel resume], rax
    mov rax, 1 << 63
    mov dr6, rax
.after_gp6:
    cmp r8, 13
    setne al
    cmp qword [rel got_vec], 13
    setne ah
    or al, ah
    mov rbx, dr7
    cmp rbx, 0x400
    setne ah
    or al, ah
    lea rsi, [rel msg_gp]
    call tap

    ; 3: a write breakpoint (L0, R/W0 = 01, LEN0 = 8) on ALIAS + 8, a linear address above
    ; 4 GiB: a store there traps right after it, with DR6.B0
    mov qword [rel db_count], 0
    mov rax, ALIAS + 8
    mov dr0, rax
    mov eax, 0x00090001
    mov dr7, rax
    mov rbx, ALIAS + 8
    mov qword [rbx], 5
.after_store:
    nop
    ; the same bytes through the identity mapping: another linear address, no #DB
    mov qword [rel alias_page + 8], 6
    nop
    xor eax, eax
    mov dr7, rax
    cmp qword [rel db_count], 1
    setne al
    lea rbx, [rel .after_store]
    cmp [rel db_rip], rbx
    setne ah
    or al, ah
    mov rbx, [rel db_dr6]
    and ebx, 0x400f
    cmp ebx, 1
    setne ah
    or al, ah
    cmp qword [rel alias_page + 8], 6
    setne ah
    or al, ah
    lea rsi, [rel msg_data]
    call tap

    ; 4: an instruction breakpoint (L1, R/W1 = 00) on a label: a fault at it; the handler
    ; returns with RF = 1 and the instruction runs
    mov qword [rel db_count], 0
    mov byte [rel db_set_rf], 1
    lea rax, [rel .bp_here]
    mov dr1, rax
    mov eax, 0x4                    ; L1
    mov dr7, rax
    mov ecx, 1
.bp_here:
    mov ecx, 2
    xor eax, eax
    mov dr7, rax
    mov byte [rel db_set_rf], 0
    cmp qword [rel db_count], 1
    setne al
    lea rbx, [rel .bp_here]
    cmp [rel db_rip], rbx
    setne ah
    or al, ah
    cmp ecx, 2
    setne ah
    or al, ah
    lea rsi, [rel msg_exec]
    call tap

    mov eax, ebp
    test eax, eax
    setnz al
    movzx eax, al
    out EXIT_PORT, eax
.hang:
    cli
    hlt
    jmp .hang


; #DB: count, record RIP and DR6, clear DR6; RF = 1 in the frame when asked
db_handler:
    push rax
    inc qword [rel db_count]
    mov rax, [rsp + 8]
    mov [rel db_rip], rax
    mov rax, dr6
    mov [rel db_dr6], rax
    xor eax, eax
    mov dr6, rax
    cmp byte [rel db_set_rf], 0
    je .ret
    or qword [rsp + 24], 1 << 16    ; RFLAGS image
.ret:
    pop rax
    iretq

; #GP: record, resume at [resume]
gp_handler:
    mov qword [rel got_vec], 13
    push rax
    mov rax, [rel resume]
    mov [rsp + 16], rax             ; the saved RIP (above the error code)
    pop rax
    add rsp, 8
    iretq

%include "lib/lm64.inc"

msg_nolm:   db "1..4", 10, "not ok 1 - CPUID.80000001H:EDX.LM is set", 10
            db "Bail out! no long mode", 10, 0
msg_plan:   db "1..4", 10, 0
msg_dr0:    db "1 - MOV DR0 in 64-bit mode moves 64 bits", 10, 0
msg_gp:     db "2 - a 1 in bits 63:32 of DR7 or DR6 is #GP(0)", 10, 0
msg_data:   db "3 - a write breakpoint on a linear address above 4 GiB traps after the store; "
            db "another mapping of the bytes does not hit", 10, 0
msg_exec:   db "4 - an instruction breakpoint compares RIP: a fault at it, RF = 1 steps over", 10, 0

align 16
gdt:
    dq 0                            ; null
    dq 0x00209a0000000000           ; 0x08: 64-bit code, DPL 0
    dq 0x00cf92000000ffff           ; 0x10: data, DPL 0
gdt_end:
gdtr:
    dw gdt_end - gdt - 1
    dd gdt
idtr:
    dw 256 * 16 - 1
    dq idt

align 4096
load_end:
; the bss (zeroed by the loader)
pml4        equ load_end
pdpt_lo     equ load_end + 0x1000
pd_lo       equ load_end + 0x2000
pdpt_hi     equ load_end + 0x3000
pd_hi       equ load_end + 0x4000
pt_hi       equ load_end + 0x5000
alias_page  equ load_end + 0x6000
idt         equ load_end + 0x7000
got_vec     equ load_end + 0x8000
resume      equ load_end + 0x8008
db_count    equ load_end + 0x8010
db_rip      equ load_end + 0x8018
db_dr6      equ load_end + 0x8020
db_set_rf   equ load_end + 0x8028
stack_top   equ load_end + 0xa000
bss_end     equ load_end + 0xa000
