; tests/guests/demo.asm — the demo BIOS ROM: real mode, the switch to protected mode, and a
; sieve of Eratosthenes, with results on the debug console (port 0xE9).
;
; Real mode: prints a banner and a 32-bit sum done with 16-bit ADC/SBB. Protected mode (flat
; 4 GiB segments): sieves the primes below 100000 in RAM at 2 MiB, prints their count (9592),
; sum (454396537), a rolling hash, twin-prime pairs, the largest gap, 64-bit ADC/SBB sums, then
; runs an ALU mix loop (shifts by CL including count 0, ADC/SBB after shifts, INC/DEC keeping CF,
; 8/16-bit and high-byte registers) and prints its state. Exits through isa-debug-exit with 0
; (qemu exit status 1).
;
; Build: nasm -f bin -I tests/guests/ -o o/roms/demo.bin tests/guests/demo.asm
; Run:   qemu-system-i386 -nodefaults -display none -bios o/roms/demo.bin \
;            -device isa-debug-exit,iobase=0xf4,iosize=0x04 -debugcon stdio

%include "common.inc"

N           equ 100000              ; sieve limit (exclusive)
SIEVE       equ 0x200000            ; one byte per number; 2 MiB keeps clear of A20 wrap-around
VARS        equ 0x80000             ; scratch variables in low RAM

; variables (dwords at VARS)
V_COUNT     equ VARS + 0
V_SUM       equ VARS + 4
V_HASH      equ VARS + 8
V_TWINS     equ VARS + 12
V_MAXGAP    equ VARS + 16
V_GAPAT     equ VARS + 20
V_PREV      equ VARS + 24
V_S64LO     equ VARS + 28
V_S64HI     equ VARS + 32
V_ALTLO     equ VARS + 36
V_ALTHI     equ VARS + 40

; ---------------------------------------------------------------------------------------------
section rom
bits 16
; rm_main: a 32-bit sum in DX:AX with 16-bit ADC, then the same numbers taken away with SBB.
rm_main:
    xor ax, ax
    xor dx, dx
    mov cx, 1
.add:
    add ax, cx
    adc dx, 0
    inc cx
    cmp cx, 1000
    jbe .add
    RM_PRINT "real mode: sum 1..1000 = 0x"
    push ax
    mov ax, dx
    call rm_put_hex16
    pop ax
    call rm_put_hex16
    mov cx, 1000
.sub:
    sub ax, cx
    sbb dx, 0
    loop .sub
    RM_PRINT ", minus 1..1000 = 0x"
    push ax
    mov ax, dx
    call rm_put_hex16
    pop ax
    call rm_put_hex16
    RM_PRINT 10, "real mode: entering protected mode", 10
    ret

bits 32
pm_main:
    PRINT "protected mode: flat 32-bit code and data segments loaded", 10
    call sieve
    call scan
    call report
    call alu_mix
    PRINT "demo: done", 10
    xor eax, eax
    ret

; sieve: flag[i] = 1 iff i is prime, for 0 <= i < N.
sieve:
    mov edi, SIEVE
    mov ecx, N / 4
.fill:
    mov dword [edi], 0x01010101
    add edi, 4
    dec ecx
    jnz .fill
    mov byte [SIEVE + 0], 0
    mov byte [SIEVE + 1], 0
    mov ebx, 2                      ; i
    mov edx, 4                      ; i * i, kept up to date without MUL
.outer:
    cmp edx, N
    jae .done
    cmp byte [SIEVE + ebx], 0
    je .next
    mov eax, edx                    ; j = i * i
.inner:
    mov byte [SIEVE + eax], 0
    add eax, ebx
    cmp eax, N
    jb .inner
.next:
    lea edx, [edx + ebx * 2 + 1]    ; (i + 1)^2 = i^2 + 2i + 1
    inc ebx
    jmp .outer
.done:
    ret

; scan: walk the sieve and fold every prime into the statistics at VARS.
scan:
    xor eax, eax
    mov [V_COUNT], eax
    mov [V_SUM], eax
    mov [V_TWINS], eax
    mov [V_MAXGAP], eax
    mov [V_GAPAT], eax
    mov [V_PREV], eax
    mov [V_S64LO], eax
    mov [V_S64HI], eax
    mov [V_ALTLO], eax
    mov [V_ALTHI], eax
    mov dword [V_HASH], 5381
    mov ebx, 2
.loop:
    cmp byte [SIEVE + ebx], 0
    je .next
    inc dword [V_COUNT]
    add [V_SUM], ebx
    ; hash = hash * 33 ^ p
    mov eax, [V_HASH]
    mov ecx, eax
    shl ecx, 5
    add eax, ecx
    xor eax, ebx
    mov [V_HASH], eax
    ; gaps: twins (gap 2) and the largest gap, only once there is a previous prime
    mov ecx, [V_PREV]
    test ecx, ecx
    jz .first
    mov eax, ebx
    sub eax, ecx
    cmp eax, 2
    jne .not_twin
    inc dword [V_TWINS]
.not_twin:
    cmp eax, [V_MAXGAP]
    jbe .first
    mov [V_MAXGAP], eax
    mov [V_GAPAT], ecx
.first:
    mov [V_PREV], ebx
    ; sum64 += p << 20, as a 64-bit ADC pair
    mov eax, ebx
    shl eax, 20
    mov ecx, ebx
    shr ecx, 12
    add [V_S64LO], eax
    adc [V_S64HI], ecx
    ; alternating 64-bit sum: + for odd counts, - for even counts, of p << 24
    mov eax, ebx
    shl eax, 24
    mov ecx, ebx
    shr ecx, 8
    test dword [V_COUNT], 1
    jz .minus
    add [V_ALTLO], eax
    adc [V_ALTHI], ecx
    jmp .next
.minus:
    sub [V_ALTLO], eax
    sbb [V_ALTHI], ecx
.next:
    inc ebx
    cmp ebx, N
    jb .loop
    ret

report:
    PRINT "sieve: primes below "
    mov eax, N
    call put_dec
    PRINT 10, "  count:      "
    mov eax, [V_COUNT]
    call put_dec_hex
    PRINT 10, "  sum:        "
    mov eax, [V_SUM]
    call put_dec_hex
    PRINT 10, "  hash:       0x"
    mov eax, [V_HASH]
    call put_hex
    PRINT 10, "  largest:    "
    mov eax, [V_PREV]
    call put_dec
    PRINT 10, "  twin pairs: "
    mov eax, [V_TWINS]
    call put_dec
    PRINT 10, "  max gap:    "
    mov eax, [V_MAXGAP]
    call put_dec
    PRINT " after "
    mov eax, [V_GAPAT]
    call put_dec
    PRINT 10, "  sum<<20:    0x"
    mov eax, [V_S64HI]
    call put_hex
    mov eax, [V_S64LO]
    call put_hex
    PRINT 10, "  altsum<<24: 0x"
    mov eax, [V_ALTHI]
    call put_hex
    mov eax, [V_ALTLO]
    call put_hex
    call newline
    ret

; alu_mix: a loop whose state depends on flags after shifts, INC/DEC and partial registers.
; Only flags that the SDM defines are consumed (CF after shifts by 1..31, never OF/AF/PF).
alu_mix:
    mov esi, 0x12345678
    mov edi, 0x9ABCDEF0
    mov ebp, 0x0F1E2D3C
    push dword 20000
    pop ecx
.loop:
    mov eax, esi
    shl eax, cl                     ; count = ECX & 31, sometimes 0 (flags unchanged)
    adc edi, eax
    mov eax, edi
    sar eax, 3
    xor esi, eax
    mov eax, esi
    shr eax, 1
    sbb ebp, edi
    lea eax, [esi + edi * 4 + 0x1234]
    sub eax, ebp
    dec eax                         ; keeps CF from the SUB
    adc esi, eax
    test esi, 0x100
    jz .skip
    add edi, 0x55555555
.skip:
    mov eax, edi
    sar eax, cl
    xor ebp, eax
    ; 8/16-bit and high-byte forms
    mov eax, esi
    add al, ah
    adc ax, di
    mov ebx, ebp
    add bh, al
    sub bl, 7
    sbb bh, 0
    xor esi, ebx
    or ebp, 1
    and edi, 0xFFFFFFFE
    sub edi, ecx
    loop .loop
    PRINT "alu mix: 0x"
    mov eax, esi
    call put_hex
    PRINT " 0x"
    mov eax, edi
    call put_hex
    PRINT " 0x"
    mov eax, ebp
    call put_hex
    call newline
    ret

; ---------------------------------------------------------------------------------------------
section rodata
rm_banner:
    db "xlat demo ROM: hello from real mode", 10, 0
