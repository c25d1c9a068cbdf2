; tests/guests/kernels/longmode.asm — a Multiboot kernel (flat image with the header's address
; fields) that switches to IA-32e mode and checks 64-bit code, 4-level paging, exceptions through
; the 64-bit IDT, SWAPGS, the FS base, SYSCALL/SYSRET (also to compatibility mode), RDTSCP, CR8,
; 64-bit call gates with LRETQ to ring 3, and IRETD in compatibility mode. Reference:
; qemu-system-x86_64.
;
; The switch follows Intel SDM Vol. 3A 9.8.5: CR4.PAE, CR3 = PML4, EFER.LME, CR0.PG, then a far
; jump to a code segment with L = 1. The first GiB is identity-mapped with 2 MiB pages (U/S = 1
; everywhere, so ring 3 can run there too); a 4 KiB page at ALIAS is a second mapping of
; alias_page through a PML4 entry of its own. Prints TAP on port 0xE9 and exits through
; isa-debug-exit (port 0xF4) with the number of failures.

bits 32
LOAD_ADDR   equ 0x100000
MB_MAGIC    equ 0x1BADB002
MB_FLAGS    equ 0x00010003          ; bit 16: address fields; bits 0, 1: alignment, memory info
DEBUGCON    equ 0xE9
EXIT_PORT   equ 0xF4
ALIAS       equ 0x00007f0000000000  ; PML4 index 254
UNMAPPED    equ 0x0000400000000000  ; PML4 index 128: not present
NONCANON    equ 0x8000000000000000

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
    mov [cpuid_edx], edx
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
    ; page tables: PML4[0] -> pdpt_lo -> pd_lo (512 x 2 MiB); PML4[254] -> pdpt_hi -> pd_hi
    ; -> pt_hi, whose entry 0 maps alias_page
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
    or eax, (1 << 8) | 1            ; LME, SCE
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

    ; the IDT: #BP (3), #GP (13), #PF (14) as 64-bit interrupt gates
    mov eax, 3
    lea rbx, [rel bp_handler]
    call set_gate
    mov eax, 13
    lea rbx, [rel gp_handler]
    call set_gate
    mov eax, 14
    lea rbx, [rel pf_handler]
    call set_gate
    lidt [rel idtr]

    ; 1: CPUID reports LM, and EFER.LMA is set
    mov ecx, 0xC0000080
    rdmsr
    test eax, 1 << 10
    setz al
    lea rsi, [rel msg_lma]
    call tap

    ; 2: 64-bit arithmetic and R8-R15
    mov rax, 0x123456789abcdef0
    mov r9, 0x0fedcba987654321
    add rax, r9
    mov r15, 0x2222222222222211
    cmp rax, r15
    setne al
    lea rsi, [rel msg_arith]
    call tap

    ; 3: a 32-bit result is zero-extended into the 64-bit register
    mov rax, -1
    mov r8, rax
    add r8d, 1
    mov eax, 5
    add rax, r8
    cmp rax, 5
    setne al
    lea rsi, [rel msg_zext]
    call tap

    ; 4: RIP-relative addressing
    mov rax, [rel quad]
    mov rbx, 0x0123456789abcdef
    cmp rax, rbx
    setne al
    lea rsi, [rel msg_riprel]
    call tap

    ; 5: a second mapping through another PML4 entry sees the same page
    mov rax, 0x5a5a5a5a12345678
    mov [rel alias_page + 8], rax
    mov rbx, ALIAS
    cmp rax, [rbx + 8]
    setne al
    lea rsi, [rel msg_alias]
    call tap

    ; 6: INT3 goes through the 64-bit IDT and IRETQ comes back
    mov qword [rel got_vec], -1
    int3
    cmp qword [rel got_vec], 3
    setne al
    lea rsi, [rel msg_bp]
    call tap

    ; 7: a non-canonical address is #GP(0)
    mov qword [rel got_vec], -1
    lea rax, [rel .after_gp]
    mov [rel resume], rax
    mov rbx, NONCANON
    mov rax, [rbx]
.after_gp:
    cmp qword [rel got_vec], 13
    setne al
    cmp qword [rel got_err], 0
    setne ah
    or al, ah
    lea rsi, [rel msg_gp]
    call tap

    ; 8: an address without a PML4 entry is #PF: error code 0 (not present, read), CR2 exact
    mov qword [rel got_vec], -1
    lea rax, [rel .after_pf]
    mov [rel resume], rax
    mov rbx, UNMAPPED + 0x123
    mov rax, [rbx]
.after_pf:
    cmp qword [rel got_vec], 14
    setne al
    cmp qword [rel got_err], 0
    setne ah
    or al, ah
    mov rcx, UNMAPPED + 0x123
    cmp [rel got_cr2], rcx
    setne ah
    or al, ah
    lea rsi, [rel msg_pf]
    call tap

    ; 9: the FS base MSR: FS-relative loads add it
    mov ecx, 0xC0000100             ; IA32_FS_BASE
    lea rax, [rel quad]
    mov rdx, rax
    shr rdx, 32
    wrmsr
    mov rax, [fs:0]
    mov rbx, 0x0123456789abcdef
    cmp rax, rbx
    setne al
    lea rsi, [rel msg_fs]
    call tap

    ; 10: SWAPGS exchanges GS.base and IA32_KERNEL_GS_BASE
    mov ecx, 0xC0000102
    mov eax, 0x13572468
    mov edx, 0x00000abc
    wrmsr
    swapgs
    mov ecx, 0xC0000101             ; IA32_GS_BASE
    rdmsr
    shl rdx, 32
    or rax, rdx
    mov rbx, 0x00000abc13572468
    cmp rax, rbx
    setne al
    lea rsi, [rel msg_swapgs]
    call tap

    ; 11: CMPXCHG16B: equal, then not equal
    lea rdi, [rel oct]
    mov rax, 0x1111111111111111
    mov rdx, 0x2222222222222222
    mov rbx, 0x3333333333333333
    mov rcx, 0x4444444444444444
    lock cmpxchg16b [rdi]           ; equal: m128 = RCX:RBX, ZF = 1
    setnz r8b
    cmp qword [rdi], rbx
    setne r9b
    or r8b, r9b
    xor eax, eax
    xor edx, edx
    cmpxchg16b [rdi]                ; not equal: RDX:RAX = m128, ZF = 0
    setz r9b
    or r8b, r9b
    cmp rax, rbx
    setne r9b
    or r8b, r9b
    cmp rdx, rcx
    setne r9b
    or r8b, r9b
    mov al, r8b
    lea rsi, [rel msg_cx16]
    call tap

    ; 12: RETF with REX.W (LRETQ) to the same level, as kernels reload CS
    mov rbx, rsp
    push 0x08
    lea rax, [rel .after_retf]
    push rax
    o64 retf
.after_retf:
    cmp rsp, rbx
    setne al
    mov rcx, cs
    cmp rcx, 0x08
    setne ah
    or al, ah
    lea rsi, [rel msg_retf]
    call tap

    ; 15: PS in a PDPTE: a 1 GiB page where CPUID has pdpe1gb, else a reserved bit (#PF with
    ; P and RSVD in the error code). PML4[1] -> pdpt_gb, whose entry 0 maps 512 GiB -> 0.
    lea rax, [rel pdpt_gb]
    or rax, 7
    mov [rel pml4 + 8], rax
    mov qword [rel pdpt_gb], 0x87
    mov rax, cr3
    mov cr3, rax
    mov qword [rel got_vec], -1
    lea rax, [rel .after_gb]
    mov [rel resume], rax
    mov rbx, 0x0000008000000000
    lea rcx, [rel alias_page + 8]
    add rbx, rcx
    xor eax, eax
    mov rax, [rbx]
.after_gb:
    mov r12, rax
    mov eax, 0x80000001
    cpuid
    test edx, 1 << 26
    jz .no_gb
    mov rbx, 0x5a5a5a5a12345678
    cmp r12, rbx
    setne al
    cmp qword [rel got_vec], -1
    setne ah
    or al, ah
    jmp .gb_done
.no_gb:
    cmp qword [rel got_vec], 14
    setne al
    cmp qword [rel got_err], 9
    setne ah
    or al, ah
.gb_done:
    lea rsi, [rel msg_gb]
    call tap

    ; 16: far CALL through an m16:64 pointer (REX.W), LRETQ back, far JMP through one
    mov rbx, rsp
    xor r13d, r13d
    lea rax, [rel far_target]
    mov [rel farptr], rax
    mov word [rel farptr + 8], 0x08
    o64 call far [rel farptr]
    cmp rsp, rbx
    setne al
    cmp r13, 0x600d
    setne ah
    or al, ah
    mov r14b, al
    lea rax, [rel .after_ljmp]
    mov [rel farptr], rax
    o64 jmp far [rel farptr]
    mov r14b, 1                     ; not reached
.after_ljmp:
    mov al, r14b
    lea rsi, [rel msg_farcall]
    call tap

    ; 17: INVLPG of a 64-bit address: the alias page is remapped to another frame
    mov rbx, ALIAS
    mov rax, [rbx + 8]              ; the TLB holds the old mapping now
    lea rax, [rel alias_page2]
    or rax, 7
    mov [rel pt_hi], rax
    mov rax, 0x7777777777777777
    mov [rel alias_page2 + 8], rax
    invlpg [rbx]
    cmp rax, [rbx + 8]
    setne al
    lea rsi, [rel msg_invlpg]
    call tap

    ; 13, 14: SYSRET to ring 3, SYSCALL back: RCX holds the return RIP, R11 the RFLAGS
    mov ecx, 0xC0000081             ; STAR: kernel CS 0x08 (SS 0x10), user base 0x18
    xor eax, eax
    mov edx, 0x00180008
    wrmsr
    mov ecx, 0xC0000082             ; LSTAR
    lea rax, [rel syscall_entry]
    mov rdx, rax
    shr rdx, 32
    wrmsr
    mov ecx, 0xC0000084             ; FMASK: clear DF and IF
    mov eax, (1 << 10) | (1 << 9)
    xor edx, edx
    wrmsr
    mov [rel kernel_rsp], rsp
    lea rcx, [rel user_code]
    mov r11d, 0x002 | (1 << 10)     ; DF (FMASK clears it on the way back); IF stays clear
    o64 sysret

user_code:                          ; ring 3
    mov rax, cs
    mov [rel user_cs], rax
    mov r11, 0x123
    syscall
user_after_syscall:

syscall_entry:                      ; ring 0 again
    mov rsp, [rel kernel_rsp]
    mov [rel sys_rcx], rcx
    mov [rel sys_r11], r11
    pushfq
    pop rax
    mov [rel sys_rflags], rax
    mov rax, cs
    mov [rel sys_cs], rax
    ; 13: ring 3 ran with CS = 0x2B, and SYSCALL came back to CS 0x08
    cmp qword [rel user_cs], 0x2b
    setne al
    cmp qword [rel sys_cs], 0x08
    setne ah
    or al, ah
    lea rsi, [rel msg_sysret]
    call tap
    ; 14: RCX = the RIP after SYSCALL, R11 = RFLAGS then (DF set), FMASK cleared DF
    lea rbx, [rel user_after_syscall]
    cmp [rel sys_rcx], rbx
    setne al
    mov rbx, [rel sys_r11]
    and rbx, 0x400
    cmp rbx, 0x400
    setne ah
    or al, ah
    test qword [rel sys_rflags], 1 << 10
    setnz ah
    or al, ah
    lea rsi, [rel msg_syscall]
    call tap

    ; --- 18..24: system instructions of IA-32e mode (ring 0 again) ---
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov eax, 6
    lea rbx, [rel ud_handler]
    call set_gate
    ; the 64-bit TSS (SDM Vol. 3A 8.7): RSP0 for the ring-3 -> ring-0 transitions below
    lea rax, [rel stack0_top]
    mov [rel tss64 + 4], rax
    lea rdi, [rel gdt + 0x30]       ; TSS descriptor: limit 0x67, type 9, present
    lea rax, [rel tss64]
    mov word [rdi], 0x67
    mov [rdi + 2], ax
    shr rax, 16
    mov [rdi + 4], al
    mov byte [rdi + 5], 0x89
    mov byte [rdi + 6], 0
    mov [rdi + 7], ah
    shr rax, 16
    mov [rdi + 8], eax
    mov dword [rdi + 12], 0
    mov ax, 0x30
    ltr ax
    lea rdi, [rel gdt + 0x40]       ; 64-bit call gate, DPL 3 -> 0x08:gate_target
    lea rbx, [rel gate_target]
    mov eax, 0xec00
    call set_cgate
    lea rdi, [rel gdt + 0x50]       ; 64-bit call gate, DPL 0 -> 0x08:jmp_target
    lea rbx, [rel jmp_target]
    mov eax, 0x8c00
    call set_cgate

    ; 18: RDTSCP where CPUID has it: ECX = IA32_TSC_AUX, EDX:EAX no less than an RDTSC
    ; before; else #UD
    mov eax, 0x80000001
    cpuid
    test edx, 1 << 27
    jz .no_rdtscp
    mov ecx, 0xC0000103
    mov eax, 0x5a5a1234
    xor edx, edx
    wrmsr
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov r12, rax
    mov rcx, -1
    rdtscp
    shl rdx, 32
    or rax, rdx
    cmp rax, r12
    setb r8b
    cmp rcx, 0x5a5a1234
    setne al
    or al, r8b
    jmp .rdtscp_done
.no_rdtscp:
    mov qword [rel got_vec], -1
    lea rax, [rel .rdtscp_done0]
    mov [rel resume], rax
    rdtscp
.rdtscp_done0:
    cmp qword [rel got_vec], 6
    setne al
.rdtscp_done:
    lea rsi, [rel msg_rdtscp]
    call tap

    ; 19: MOV CR8 is TPR[7:4] of the local APIC: both ways (SDM Vol. 3A 10.8.6.1)
    lea rax, [rel pd_apic]
    or rax, 3
    mov [rel pdpt_lo + 3 * 8], rax
    mov eax, 0xfee00000 | 0x93      ; PS, PCD, writable, present
    mov [rel pd_apic + 0x1f7 * 8], rax
    mov rax, cr3
    mov cr3, rax
    mov eax, 9
    mov cr8, rax
    mov rbx, cr8
    cmp rbx, 9
    setne r8b
    mov r9d, 0xfee00080             ; the xAPIC TPR
    mov ecx, [r9]
    cmp ecx, 0x90
    setne al
    or r8b, al
    mov dword [r9], 0x35
    mov rbx, cr8
    cmp rbx, 3
    setne al
    or al, r8b
    xor ecx, ecx
    mov cr8, rcx
    lea rsi, [rel msg_cr8]
    call tap

    ; 20: MOV to CR8 with a reserved bit set is #GP(0) (SDM Vol. 2B MOV CRn)
    mov qword [rel got_vec], -1
    lea rax, [rel .after_cr8gp]
    mov [rel resume], rax
    mov eax, 0x10
    mov cr8, rax
.after_cr8gp:
    cmp qword [rel got_vec], 13
    setne al
    cmp qword [rel got_err], 0
    setne ah
    or al, ah
    mov rbx, cr8
    cmp rbx, 0
    setne ah
    or al, ah
    lea rsi, [rel msg_cr8gp]
    call tap

    ; 21: far JMP through a 64-bit call gate at ring 0: CS from the gate, nothing pushed
    mov rbx, rsp
    mov word [rel farptr + 8], 0x50
    o64 jmp far [rel farptr]
jmp_target:
    cmp rsp, rbx
    setne al
    mov rcx, cs
    cmp rcx, 0x08
    setne ah
    or al, ah
    lea rsi, [rel msg_jmpgate]
    call tap

    ; 22, 23: ring 3 calls ring 0 through a 64-bit call gate; LRETQ goes back out
    mov [rel kernel_rsp], rsp
    push 0x23                       ; SS
    lea rax, [rel ustack_top]
    push rax                        ; RSP
    push 0x002                      ; RFLAGS
    push 0x2b                       ; CS
    lea rax, [rel user_gate]
    push rax
    iretq
user_gate:                          ; ring 3, 64-bit
    mov rax, ds                     ; 31: IRETQ to ring 3 nulled DS (a ring-0 data selector)
    mov [rel g_user_ds], rax
    mov r12, rsp
    mov word [rel farptr + 8], 0x43
    o64 call far [rel farptr]
user_gate_ret:
    mov [rel g_back_rsp], rsp
    mov rax, es                     ; 31: LRETQ to ring 3 nulled ES (loaded in ring 0 below)
    mov [rel g_back_es], rax
    mov rax, cs
    mov [rel g_back_cs], rax
    mov rax, ss
    mov [rel g_back_ss], rax
    mov qword [rel g_second], 1
    o64 call far [rel farptr]       ; back to ring 0 for good

gate_target:                        ; ring 0, through the gate
    cmp qword [rel g_second], 0
    jne .second
    mov [rel g_rsp], rsp
    mov rax, ss
    mov [rel g_ss], rax
    mov rax, cs
    mov [rel g_cs], rax
    lea rdi, [rel g_frame]
    mov rax, [rsp]
    mov [rdi], rax
    mov rax, [rsp + 8]
    mov [rdi + 8], rax
    mov rax, [rsp + 16]
    mov [rdi + 16], rax
    mov rax, [rsp + 24]
    mov [rdi + 24], rax
    mov ax, 0x10                    ; a DPL-0 data segment in ES for the return to ring 3
    mov es, ax
    o64 retf
.second:
    mov rsp, [rel kernel_rsp]
    ; 22: the frame on the RSP0 stack: RIP, CS 0x2B, RSP, SS 0x23 (8 bytes each); SS null
    ; with RPL 0, CS 0x08 (SDM Vol. 3A 5.8.3.1)
    lea rax, [rel stack0_top - 32]
    cmp [rel g_rsp], rax
    setne r8b
    cmp qword [rel g_ss], 0
    setne al
    or r8b, al
    cmp qword [rel g_cs], 0x08
    setne al
    or r8b, al
    lea rax, [rel user_gate_ret]
    cmp [rel g_frame], rax
    setne al
    or r8b, al
    cmp qword [rel g_frame + 8], 0x2b
    setne al
    or r8b, al
    cmp [rel g_frame + 16], r12
    setne al
    or r8b, al
    cmp qword [rel g_frame + 24], 0x23
    setne al
    or al, r8b
    lea rsi, [rel msg_cgate]
    call tap
    ; 23: LRETQ to ring 3 popped RIP, CS, RSP and SS
    cmp [rel g_back_rsp], r12
    setne r8b
    cmp qword [rel g_back_cs], 0x2b
    setne al
    or r8b, al
    cmp qword [rel g_back_ss], 0x23
    setne al
    or al, r8b
    lea rsi, [rel msg_retouter]
    call tap

    ; 24: IRETD in compatibility mode at the same level pops SS:ESP too (SDM Vol. 2A IRET,
    ; "IA-32e-MODE")
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov [rel kernel_rsp], rsp
    lea rax, [rel compat_iret]
    mov [rel farptr], eax
    mov word [rel farptr + 4], 0x60
    jmp dword far [rel farptr]      ; m16:32 to a 32-bit code segment
bits 32
compat_iret:
    mov ebx, esp
    push dword 0x10                 ; SS
    lea eax, [ebx - 0x40]
    push eax                        ; ESP
    pushfd
    push dword 0x08                 ; CS: back to 64-bit code
    push dword back64
    iretd
bits 64
back64:
    mov eax, ebx
    sub eax, 0x40
    cmp rsp, rax
    setne al
    mov rcx, cs
    cmp rcx, 0x08
    setne ah
    or al, ah
    mov rsp, [rel kernel_rsp]
    lea rsi, [rel msg_iretd]
    call tap

    ; 25: SYSRET with a 32-bit operand size goes to compatibility mode (CS STAR[63:48] | 3);
    ; SYSCALL there is #UD (SDM Vol. 2B SYSCALL: "IF (CS.L != 1) ... THEN #UD")
    mov eax, 6
    lea rbx, [rel ud_compat]
    call set_gate
    mov ecx, 0xC0000083             ; CSTAR
    lea rax, [rel cstar_entry]
    mov rdx, rax
    shr rdx, 32
    wrmsr
    mov qword [rel got_vec], -1
    mov [rel kernel_rsp], rsp
    lea rcx, [rel compat_user]
    mov r11d, 0x002
    sysret                          ; 32-bit operand size
bits 32
compat_user:                        ; ring 3, compatibility mode
    mov eax, cs
    mov [user_cs32], eax
    syscall
bits 64
cstar_entry:                        ; where an AMD-style SYSCALL would go
    mov qword [rel got_vec], 0x100
ud_compat:
    mov rsp, [rel kernel_rsp]
    cmp qword [rel got_vec], 0x100
    je .not_ud
    mov qword [rel got_vec], 6
.not_ud:
    cmp dword [rel user_cs32], 0x1b
    setne al
    cmp qword [rel got_vec], 6
    setne ah
    or al, ah
    lea rsi, [rel msg_syscall32]
    call tap

    ; 26, 27: a non-canonical stack reference is #SS(0), not #GP(0) (SDM Vol. 3A 6.15
    ; interrupt 12); the handler runs on IST1, since RSP itself is bad
    lea rax, [rel ist1_top]
    mov [rel tss64 + 0x24], rax
    mov eax, 12
    lea rbx, [rel ss_handler]
    call set_gate
    or byte [rel idt + 12 * 16 + 4], 1
    or byte [rel idt + 13 * 16 + 4], 1 ; (so that a #GP there is survived too)
    mov [rel kernel_rsp], rsp
    mov qword [rel got_vec], -1
    mov qword [rel got_err], -1
    lea rax, [rel .after_ss1]
    mov [rel resume], rax
    mov rsp, NONCANON
    push rax
.after_ss1:
    mov rsp, [rel kernel_rsp]
    cmp qword [rel got_vec], 12
    setne al
    cmp qword [rel got_err], 0
    setne ah
    or al, ah
    lea rsi, [rel msg_ss_push]
    call tap
    mov qword [rel got_vec], -1
    mov qword [rel got_err], -1
    lea rax, [rel .after_ss2]
    mov [rel resume], rax
    mov [rel failures], rbp         ; (RBP counts the failures)
    mov rbp, NONCANON
    mov rax, [rbp + 8]
.after_ss2:
    mov rbp, [rel failures]
    and byte [rel idt + 13 * 16 + 4], ~7
    cmp qword [rel got_vec], 12
    setne al
    cmp qword [rel got_err], 0
    setne ah
    or al, ah
    lea rsi, [rel msg_ss_rbp]
    call tap

    ; 28: far CALL from compatibility mode through a 64-bit call gate: CS and RIP go on the
    ; 32-bit stack as 8-byte values; LRETQ goes back to compatibility mode (SDM Vol. 3A 5.8.3.1)
    lea rdi, [rel gdt + 0x68]       ; 64-bit call gate, DPL 0 -> 0x08:cgate_compat_target
    lea rbx, [rel cgate_compat_target]
    mov eax, 0x8c00
    call set_cgate
    mov [rel kernel_rsp], rsp
    lea rax, [rel compat_cg]
    mov [rel farptr], eax
    mov word [rel farptr + 4], 0x60
    jmp dword far [rel farptr]
bits 32
compat_cg:
    mov esi, esp
    call 0x68:0
compat_cg_ret:
    mov edi, esp
    mov eax, cs
    mov [cg_cs_back], eax
    jmp 0x08:back64_cg
bits 64
cgate_compat_target:
    mov [rel cg_rsp], rsp
    mov rax, [rsp]
    mov [rel cg_f0], rax
    mov rax, [rsp + 8]
    mov [rel cg_f1], rax
    mov rax, cs
    mov [rel cg_cs], rax
    o64 retf
back64_cg:
    mov rsp, [rel kernel_rsp]
    mov eax, esi
    sub rax, 16
    cmp [rel cg_rsp], rax
    setne r8b
    lea rax, [rel compat_cg_ret]
    cmp [rel cg_f0], rax
    setne al
    or r8b, al
    cmp qword [rel cg_f1], 0x60
    setne al
    or r8b, al
    cmp qword [rel cg_cs], 0x08
    setne al
    or r8b, al
    cmp edi, esi
    setne al
    or r8b, al
    cmp dword [rel cg_cs_back], 0x60
    setne al
    or al, r8b
    lea rsi, [rel msg_cgcompat]
    call tap

    ; 29: IRETQ from 64-bit code to compatibility mode at the same level (SDM Vol. 2A IRET,
    ; IA-32e-MODE): CS 0x60, RSP and SS from the frame
    mov [rel kernel_rsp], rsp
    mov qword [rel cg_cs_back], 0
    mov rax, rsp
    sub rax, 0x100
    push 0x10
    push rax
    pushfq
    push 0x60
    lea rax, [rel compat_iretq]
    push rax
    iretq
bits 32
compat_iretq:
    mov eax, cs
    mov [cg_cs_back], eax
    mov [cg_rsp], esp
    jmp 0x08:back64_iretq
bits 64
back64_iretq:
    mov rsp, [rel kernel_rsp]
    cmp dword [rel cg_cs_back], 0x60
    setne al
    lea rbx, [rsp - 0x100]
    cmp [rel cg_rsp], ebx
    setne ah
    or al, ah
    lea rsi, [rel msg_iretq32]
    call tap

    ; 30: IRETQ to 64-bit code at a non-canonical RIP is #GP(0) at the IRETQ
    mov qword [rel got_vec], -1
    mov qword [rel got_err], -1
    lea rax, [rel .after_nciret]
    mov [rel resume], rax
    mov rax, rsp
    push 0x10
    push rax
    pushfq
    push 0x08
    mov rax, NONCANON
    push rax
.nciret:
    iretq
.after_nciret:
    mov rsp, [rel kernel_rsp]
    cmp qword [rel got_vec], 13
    setne al
    cmp qword [rel got_err], 0
    setne ah
    or al, ah
    lea rbx, [rel .nciret]
    cmp [rel got_rip], rbx
    setne ah
    or al, ah
    lea rsi, [rel msg_nciret]
    call tap

    ; 31: returns to an outer level null the data segment registers the new level may not use
    ; (SDM Vol. 2A IRET and RET, also in IA-32e mode): DS after the IRETQ to ring 3 of test 22,
    ; ES after its LRETQ to ring 3 (both held the DPL-0 selector 0x10)
    cmp qword [rel g_user_ds], 0
    setne al
    cmp qword [rel g_back_es], 0
    setne ah
    or al, ah
    lea rsi, [rel msg_nullseg]
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

far_target:                         ; reached by the far CALL: return address and CS on the stack
    mov r13, 0x600d
    cmp qword [rsp + 8], 0x08
    je .cs_ok
    xor r13d, r13d
.cs_ok:
    o64 retf

; set_cgate: RDI = the 16-byte descriptor, RBX = the target (selector 0x08), EAX = P, DPL and
; type 12 (a 64-bit call gate, SDM Vol. 3A Figure 5-9)
set_cgate:
    mov edx, ebx
    and edx, 0xffff0000
    or eax, edx
    mov [rdi + 4], eax
    mov eax, ebx
    and eax, 0xffff
    or eax, 0x08 << 16
    mov [rdi], eax
    mov rax, rbx
    shr rax, 32
    mov [rdi + 8], eax
    mov dword [rdi + 12], 0
    ret

ud_handler:                         ; #UD (no error code): resume at [resume]
    mov qword [rel got_vec], 6
    push rax
    mov rax, [rel resume]
    mov [rsp + 8], rax
    pop rax
    iretq

bp_handler:
    mov qword [rel got_vec], 3
    iretq

ss_handler:
    mov qword [rel got_vec], 12
    jmp fault_common
gp_handler:
    mov qword [rel got_vec], 13
    jmp fault_common
pf_handler:
    mov qword [rel got_vec], 14
    push rax
    mov rax, cr2
    mov [rel got_cr2], rax
    pop rax
fault_common:                       ; the error code, then resume at [resume]
    push rax
    mov rax, [rsp + 8]
    mov [rel got_err], rax
    mov rax, [rsp + 16]
    mov [rel got_rip], rax
    mov rax, [rel resume]
    mov [rsp + 16], rax             ; the saved RIP
    pop rax
    add rsp, 8
    iretq

%include "lib/lm64.inc"

msg_nolm:   db "1..31", 10, "not ok 1 - CPUID.80000001H:EDX.LM is set", 10
            db "Bail out! no long mode", 10, 0
msg_plan:   db "1..31", 10, 0
msg_lma:    db "1 - CPUID has LM; after CR0.PG with EFER.LME, EFER.LMA is set", 10, 0
msg_arith:  db "2 - 64-bit ADD over RAX and R9", 10, 0
msg_zext:   db "3 - a 32-bit result is zero-extended into the 64-bit register", 10, 0
msg_riprel: db "4 - RIP-relative load", 10, 0
msg_alias:  db "5 - 4-level paging: a second mapping through its own PML4 entry", 10, 0
msg_bp:     db "6 - INT3 through the 64-bit IDT, back with IRETQ", 10, 0
msg_gp:     db "7 - a non-canonical address is #GP(0)", 10, 0
msg_pf:     db "8 - no PML4 entry: #PF, error code 0, CR2 the address", 10, 0
msg_fs:     db "9 - IA32_FS_BASE is added to FS-relative addresses", 10, 0
msg_swapgs: db "10 - SWAPGS exchanges GS.base and IA32_KERNEL_GS_BASE", 10, 0
msg_sysret: db "13 - SYSRET to ring 3 (CS 0x2B), SYSCALL back to CS 0x08", 10, 0
msg_syscall: db "14 - SYSCALL: RCX = next RIP, R11 = RFLAGS, FMASK applied", 10, 0
msg_cx16:   db "11 - CMPXCHG16B: equal stores RCX:RBX, unequal loads RDX:RAX", 10, 0
msg_retf:   db "12 - LRETQ to the same level pops RIP and CS", 10, 0
msg_invlpg: db "17 - INVLPG of a 64-bit address drops the old translation", 10, 0
msg_farcall: db "16 - far CALL and JMP through m16:64 pointers to 64-bit code", 10, 0
msg_rdtscp: db "18 - RDTSCP: ECX = IA32_TSC_AUX, EDX:EAX >= an earlier RDTSC; #UD without CPUID rdtscp", 10, 0
msg_cr8:    db "19 - MOV CR8 reads and writes TPR[7:4] of the local APIC", 10, 0
msg_cr8gp:  db "20 - MOV CR8 with a reserved bit set is #GP(0), SDM Vol. 2B MOV CRn (known QEMU deviation: "
            db "its TCG ignores the reserved bits)", 10, 0
msg_jmpgate: db "21 - far JMP through a 64-bit call gate: CS from the gate, RSP unchanged", 10, 0
msg_cgate:  db "22 - far CALL from ring 3 through a 64-bit call gate: RSP0, null SS, 8-byte frame", 10, 0
msg_retouter: db "23 - LRETQ to ring 3 pops RIP, CS, RSP and SS", 10, 0
msg_iretd:  db "24 - IRETD in compatibility mode pops SS:ESP at the same level too, SDM Vol. 2A IRET "
            db "IA-32e-MODE (known QEMU deviation: its TCG pops them only in 64-bit mode)", 10, 0
msg_syscall32: db "25 - SYSRET32 to compatibility mode (CS 0x1B); SYSCALL there is #UD, SDM Vol. 2B SYSCALL "
            db "(known QEMU deviation: its TCG jumps to CSTAR as AMD processors do)", 10, 0
msg_ss_push: db "26 - PUSH with a non-canonical RSP is #SS(0), SDM Vol. 3A 6.15 (known QEMU deviation: "
            db "its TCG raises #GP(0))", 10, 0
msg_ss_rbp: db "27 - a load through a non-canonical RBP is #SS(0), SDM Vol. 3A 6.15 (known QEMU deviation: "
            db "its TCG raises #GP(0))", 10, 0
msg_cgcompat: db "28 - far CALL from compatibility mode through a 64-bit call gate, LRETQ back", 10, 0
msg_iretq32: db "29 - IRETQ to compatibility mode: CS 0x60, ESP from the frame", 10, 0
msg_nullseg: db "31 - IRETQ and LRETQ to ring 3 null DS and ES holding a ring-0 data selector", 10, 0
msg_nciret: db "30 - IRETQ to a non-canonical RIP is #GP(0) at the IRETQ, SDM Vol. 2A IRET 64-bit mode "
            db "exceptions (known QEMU deviation: its TCG faults at the fetch from the new RIP)", 10, 0
msg_gb:     db "15 - PS in a PDPTE: a 1 GiB page with CPUID pdpe1gb, else #PF (P, RSVD), SDM Vol. 3A "
            db "4.5.4 (known QEMU deviation: its TCG maps the page without pdpe1gb)", 10, 0

align 16
farptr:     dq 0, 0
oct:        dq 0x1111111111111111, 0x2222222222222222
quad:       dq 0x0123456789abcdef
gdt:
    dq 0                            ; null
    dq 0x00209a0000000000           ; 0x08: 64-bit code, DPL 0
    dq 0x00cf92000000ffff           ; 0x10: data, DPL 0
    dq 0x00cffa000000ffff           ; 0x18: 32-bit code, DPL 3 (SYSRET to compatibility mode)
    dq 0x00cff2000000ffff           ; 0x20: data, DPL 3 (SYSRET's SS: 0x18 + 8)
    dq 0x0020fa0000000000           ; 0x28: 64-bit code, DPL 3 (SYSRET's CS: 0x18 + 16)
    dq 0, 0                         ; 0x30: the 64-bit TSS (filled in)
    dq 0, 0                         ; 0x40: 64-bit call gate, DPL 3 (filled in)
    dq 0, 0                         ; 0x50: 64-bit call gate, DPL 0 (filled in)
    dq 0x00cf9a000000ffff           ; 0x60: 32-bit code, DPL 0 (compatibility mode)
    dq 0, 0                         ; 0x68: 64-bit call gate, DPL 0 (filled in)
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
cpuid_edx   equ load_end + 0x8000
got_vec     equ load_end + 0x8008
got_err     equ load_end + 0x8010
got_cr2     equ load_end + 0x8018
resume      equ load_end + 0x8020
kernel_rsp  equ load_end + 0x8028
user_cs     equ load_end + 0x8030
sys_cs      equ load_end + 0x8038
sys_rcx     equ load_end + 0x8040
sys_r11     equ load_end + 0x8048
sys_rflags  equ load_end + 0x8050
pdpt_gb     equ load_end + 0xa000
alias_page2 equ load_end + 0xb000
stack_top   equ load_end + 0xd000
pd_apic     equ load_end + 0xd000
tss64       equ load_end + 0xe000
stack0_top  equ load_end + 0x10000  ; RSP0
ustack_top  equ load_end + 0x11000  ; ring 3
g_second    equ load_end + 0x8060
g_rsp       equ load_end + 0x8068
g_ss        equ load_end + 0x8070
g_cs        equ load_end + 0x8078
g_back_rsp  equ load_end + 0x8080
g_back_cs   equ load_end + 0x8088
g_back_ss   equ load_end + 0x8090
user_cs32   equ load_end + 0x8098
g_frame     equ load_end + 0x80a0   ; 4 quadwords
failures    equ load_end + 0x80c0
cg_rsp      equ load_end + 0x80c8
cg_f0       equ load_end + 0x80d0
cg_f1       equ load_end + 0x80d8
cg_cs       equ load_end + 0x80e0
cg_cs_back  equ load_end + 0x80e8
got_rip     equ load_end + 0x80f0
g_user_ds   equ load_end + 0x80f8
g_back_es   equ load_end + 0x8100
ist1_top    equ load_end + 0xf800   ; IST1 (below RSP0's stack)
bss_end     equ load_end + 0x11000
