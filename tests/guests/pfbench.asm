; tests/guests/pfbench.asm — a paging-heavy workload for tests/bench/run (needs -m 512).
;
; 32-bit paging with 4 KiB pages (SDM Vol. 3A 4.3): the 256 MiB from 64 MiB up are mapped page
; by page (a fresh PTE for each of 65536 pages, 256 KiB of page tables), identity below 64 MiB
; through 4 MiB PSE pages. Phase 1 writes one word into every page of the 256 MiB (every access
; a TLB miss and a page walk that sets Accessed and Dirty), repeated ROUNDS times with CR3
; reloads in between (a full flush each time); phase 2 does random read-modify-writes within a
; 1 MiB window (256 pages, which the TLB holds: the inline fast path). Prints a checksum.
;
; Build: nasm -f bin -I tests/guests/ -o o/roms/pfbench.bin tests/guests/pfbench.asm

%include "common.inc"

%ifndef ROUNDS
ROUNDS      equ 8
%endif
%ifndef RANDOM_STEPS
RANDOM_STEPS equ 20000000
%endif
PD          equ 0x100000            ; page directory
PTS         equ 0x101000            ; 64 page tables for 64..320 MiB
REGION      equ 0x4000000           ; 64 MiB
NPAGES      equ 65536

section rom
bits 16
rm_main:
    ret

bits 32
pm_main:
    PRINT "pfbench: 65536 fresh 4 KiB mappings, "
    mov eax, ROUNDS
    call put_dec
    PRINT " rounds, "
    mov eax, RANDOM_STEPS
    call put_dec
    PRINT " random accesses", 10
    ; PDEs 0..15: 4 MiB identity pages (below 64 MiB); 16..79: page tables; rest not present
    mov edi, PD
    xor eax, eax
    mov ecx, 1024
.pd_clear:
    mov [edi], eax
    add edi, 4
    loop .pd_clear
    mov edi, PD
    mov eax, 0x83
    mov ecx, 16
.pd_big:
    mov [edi], eax
    add eax, 0x400000
    add edi, 4
    loop .pd_big
    mov eax, PTS + 3
    mov ecx, 64
.pd_pt:
    mov [edi], eax
    add eax, 0x1000
    add edi, 4
    loop .pd_pt
    ; PTEs: page i of the region -> frame REGION + i * 4096, one entry each
    mov edi, PTS
    mov eax, REGION + 3
    mov ecx, NPAGES
.pt:
    mov [edi], eax
    add eax, 0x1000
    add edi, 4
    loop .pt
    mov eax, cr4
    or eax, 0x10
    mov cr4, eax
    mov eax, PD
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax

    ; phase 1: touch every page, ROUNDS times, flushing the TLB between rounds
    xor ebp, ebp                    ; checksum
    mov esi, ROUNDS
.round:
    mov edi, REGION
    mov ecx, NPAGES
.touch:
    mov eax, [edi]
    add eax, ecx
    mov [edi], eax
    add ebp, eax
    add edi, 0x1000
    dec ecx
    jnz .touch
    mov eax, cr3
    mov cr3, eax
    dec esi
    jnz .round

    ; phase 2: xorshift32 addresses within 1 MiB of the region
    mov ebx, 2463534242
    mov ecx, RANDOM_STEPS
.rand:
    XORSHIFT32                      ; EBX = the next xorshift32 value (EAX clobbered)
    mov edi, ebx
    and edi, 0xFFFFC
    add edi, REGION
    mov eax, [edi]
    add eax, ebx
    mov [edi], eax
    add ebp, eax
    dec ecx
    jnz .rand

    mov eax, cr0
    and eax, 0x7FFFFFFF
    mov cr0, eax
    PRINT "checksum: 0x"
    mov eax, ebp
    call put_hex
    call newline
    xor eax, eax
    ret

section rodata
rm_banner:
    db "xlat pfbench ROM", 10, 0
