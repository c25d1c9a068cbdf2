; tests/guests/bench.asm — a CPU-bound ROM for tests/bench/run.
;
; Protected mode, flat segments: ROUNDS sieves of Eratosthenes below 100000 (memory-bound byte
; stores, short inner loops, branches) and a xorshift32 loop of LOOPS steps (register-only ALU
; work with ADC). Prints the results and a checksum on the debug console, exits with value 0
; (qemu exit status 1). Tuned to take a couple of seconds under qemu-system-i386 TCG.
;
; Build: nasm -f bin -I tests/guests/ -o o/roms/bench.bin tests/guests/bench.asm

%include "common.inc"

N           equ 100000
SIEVE       equ 0x200000
%ifndef ROUNDS
ROUNDS      equ 1000
%endif
%ifndef LOOPS
LOOPS       equ 50000000
%endif

section rom
bits 16
rm_main:
    ret

bits 32
pm_main:
    PRINT "bench: "
    mov eax, ROUNDS
    call put_dec
    PRINT " sieves below 100000, "
    mov eax, LOOPS
    call put_dec
    PRINT " xorshift32 steps", 10

    ; --- sieves: EBP accumulates count + round number, every round
    xor ebp, ebp
    mov esi, ROUNDS
.round:
    call sieve
    add ebp, eax
    add ebp, esi
    dec esi
    jnz .round
    PRINT "sieve: primes per round 0x"
    call put_hex
    PRINT ", accumulated 0x"
    mov eax, ebp
    call put_hex
    call newline

    ; --- xorshift32 (Marsaglia 2003): x ^= x << 13; x ^= x >> 17; x ^= x << 5
    mov ebx, 2463534242             ; x
    xor esi, esi                    ; 64-bit sum of the x values in EDI:ESI
    xor edi, edi
    mov ecx, LOOPS
.step:
    XORSHIFT32                      ; EBX = the next xorshift32 value (EAX clobbered)
    add esi, ebx
    adc edi, 0
    dec ecx
    jnz .step
    PRINT "xorshift32: x 0x"
    mov eax, ebx
    call put_hex
    PRINT ", sum 0x"
    mov eax, edi
    call put_hex
    mov eax, esi
    call put_hex
    call newline

    PRINT "checksum: 0x"
    mov eax, ebp
    xor eax, ebx
    add eax, esi
    call put_hex
    call newline
    xor eax, eax
    ret

; sieve: EAX = number of primes below N (the flags at SIEVE). Preserves EBX..EBP.
sieve:
    push ebx
    push ecx
    push edx
    push edi
    mov edi, SIEVE
    mov ecx, N / 4
.fill:
    mov dword [edi], 0x01010101
    add edi, 4
    dec ecx
    jnz .fill
    mov byte [SIEVE + 0], 0
    mov byte [SIEVE + 1], 0
    mov ebx, 2
    mov edx, 4
.outer:
    cmp edx, N
    jae .count
    cmp byte [SIEVE + ebx], 0
    je .next
    mov eax, edx
.inner:
    mov byte [SIEVE + eax], 0
    add eax, ebx
    cmp eax, N
    jb .inner
.next:
    lea edx, [edx + ebx * 2 + 1]
    inc ebx
    jmp .outer
.count:
    xor eax, eax
    mov ebx, SIEVE
    mov ecx, N
.scan:
    cmp byte [ebx], 0
    je .skip
    inc eax
.skip:
    inc ebx
    loop .scan
    pop edi
    pop edx
    pop ecx
    pop ebx
    ret

section rodata
rm_banner:
    db "xlat bench ROM", 10, 0
