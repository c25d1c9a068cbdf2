; tests/guests/smc.asm — self-modifying code must behave as on hardware.
;
; Routines assembled for RAM address 0x300000 are copied there from the ROM, run until the
; translator has surely cached them, then patched with ordinary MOV stores:
;   case 1: ROM code patches the imm32 of `mov eax, imm32` in a RAM routine between calls;
;   case 2: a RAM routine stores to the immediate of the very next instruction in its own
;           straight-line block (on x86 the store takes effect: SDM Vol. 3A 11.6);
;   case 3: a RAM loop patches another routine on the same page (the page of the running code)
;           and calls it, every iteration;
;   case 4: a RAM loop patches an instruction of its own loop body for the next iteration.
; Each case prints "SMC OK: ..." or "SMC FAIL: ..." with the expected and actual values. All
; passed: "SMC OK" and exit value 0 (qemu exit status 1); any failure: exit value 1 (status 3).
;
; Build: nasm -f bin -I tests/guests/ -o o/roms/smc.bin tests/guests/smc.asm

%include "common.inc"

RAMCODE     equ 0x300000            ; where section ramcode runs
ITER        equ 1000                ; calls per case
FAILS       equ 0x80000             ; dword: number of failed checks

; Code assembled for RAM, stored in the ROM at 0xC000 (linear 0xFC000), copied by pm_main.
section ramcode start=0xC000 vstart=RAMCODE

; ---------------------------------------------------------------------------------------------
section rom
bits 16
rm_main:
    ret

bits 32
pm_main:
    mov dword [FAILS], 0
    ; copy section ramcode to RAM, byte by byte
    mov esi, ROM_BASE + 0xC000
    mov edi, RAMCODE
    mov ecx, ram_end - ram_start
.copy:
    mov al, [esi]
    mov [edi], al
    inc esi
    inc edi
    dec ecx
    jnz .copy
    PRINT "smc: routines copied to RAM at 0x"
    mov eax, RAMCODE
    call put_hex
    call newline

    call case1
    call case2
    call case3
    call case4

    cmp dword [FAILS], 0
    jne .failed
    PRINT "SMC OK", 10
    xor eax, eax
    ret
.failed:
    PRINT "SMC FAIL: "
    mov eax, [FAILS]
    call put_dec
    PRINT " failed check(s)", 10
    mov eax, 1
    ret

; check: report a failed check if EAX (actual) != EBX (expected); ESI names the case.
; Preserves all registers but flags.
check:
    cmp eax, ebx
    je .ok
    inc dword [FAILS]
    push esi
    PRINT "SMC FAIL: "
    call puts
    PRINT ": expected 0x"
    push eax
    mov eax, ebx
    call put_hex
    pop eax
    PRINT " got 0x"
    call put_hex
    call newline
    pop esi
.ok:
    ret

; report_ok: print "SMC OK: <name>" unless a check failed since FAILS was EDI.
report_ok:
    cmp [FAILS], edi
    jne .done
    PRINT "SMC OK: "
    call puts
    call newline
.done:
    ret

; case 1: patch the immediate of a cached routine from outside, between calls.
case1:
    mov edi, [FAILS]
    mov esi, name1
    mov ecx, ITER
.warm:
    call get_a
    mov ebx, 0x11111111
    call check
    dec ecx
    jnz .warm
    mov dword [get_a + 1], 0x22222222
    call get_a
    mov ebx, 0x22222222
    call check
    ; now a new value every call
    mov ecx, ITER
.vary:
    lea ebx, [ecx + 0x40000000]
    mov [get_a + 1], ebx
    call get_a
    call check
    dec ecx
    jnz .vary
    call report_ok
    ret

; case 2: the routine patches the next instruction of its own block.
case2:
    mov edi, [FAILS]
    mov esi, name2
    mov ecx, ITER
.loop:
    lea ebx, [ecx + ecx * 2 + 0x1000]
    call patch_next
    call check
    dec ecx
    jnz .loop
    call report_ok
    ret

; case 3: a RAM loop patches and calls another routine on its own page.
case3:
    mov edi, [FAILS]
    mov esi, name3
    mov ecx, ITER
    call patch_other_loop           ; EDX: 0 or 1 + failing iteration; EAX got, EBX expected
    test edx, edx
    jz .done
    call check
.done:
    call report_ok
    ret

; case 4: a RAM loop rewrites an immediate in its own body for the next iteration.
case4:
    mov edi, [FAILS]
    mov esi, name4
    mov ecx, ITER
    call patch_self_loop            ; EAX = sum of ITER .. 2 = ITER * (ITER + 1) / 2 - 1
    mov ebx, ITER * (ITER + 1) / 2 - 1
    call check
    call report_ok
    ret

section rodata
rm_banner:
    db "xlat smc ROM: self-modifying code tests", 10, 0
name1:
    db "case 1 (patch a cached routine between calls)", 0
name2:
    db "case 2 (store to the next instruction in the same block)", 0
name3:
    db "case 3 (patch another routine on the running code's page)", 0
name4:
    db "case 4 (loop patches its own body)", 0

; ---------------------------------------------------------------------------------------------
section ramcode
bits 32
ram_start:

; get_a: EAX = a constant that case 1 rewrites.
get_a:
    mov eax, strict dword 0x11111111
    ret

; patch_next: EAX = EBX, by writing EBX into the immediate of the next instruction.
patch_next:
    mov [.insn + 1], ebx
.insn:
    mov eax, strict dword 0x33333333
    ret

; patch_other_loop: for ECX down to 1: get_b's immediate := ECX, then call get_b and compare.
; Returns EDX = 0 if every call returned ECX, else EDX = 1, EAX = got, EBX = expected.
patch_other_loop:
    xor edx, edx
.loop:
    mov [get_b + 1], ecx
    call get_b
    cmp eax, ecx
    jne .bad
    dec ecx
    jnz .loop
    ret
.bad:
    mov ebx, ecx
    mov edx, 1
    ret

get_b:
    mov eax, strict dword 0x55555555
    ret

; patch_self_loop: EAX = sum over iterations of the immediate of `.add`, which each iteration
; sets to ECX for the next one (and which starts at 0): ECX + (ECX - 1) + ... + 2.
patch_self_loop:
    mov dword [.add + 1], 0
    xor eax, eax
.loop:
.add:
    add eax, strict dword 0
    mov [.add + 1], ecx
    dec ecx
    jnz .loop
    ret

ram_end:
