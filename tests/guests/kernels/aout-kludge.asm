; tests/guests/kernels/aout-kludge.asm — a Multiboot kernel that is not ELF: a flat image whose
; header carries the address fields (flag bit 16, the "a.out kludge", Multiboot 0.6.96 section
; 3.1.3), so the boot loader must load it from those alone.
;
; The header is not at the start of the file (16 bytes of data come first), so the loader has to
; compute where loading starts from header_addr - load_addr. Past load_end_addr the file goes on
; with 0xAA bytes that must not be loaded: that memory is bss up to bss_end_addr and must read as
; zero. Prints TAP on port 0xE9 and exits through isa-debug-exit (port 0xF4).

bits 32
LOAD_ADDR   equ 0x100000
MB_MAGIC    equ 0x1BADB002
MB_FLAGS    equ 0x00010003          ; bit 16: address fields; bits 0, 1: alignment, memory info
DEBUGCON    equ 0xE9
EXIT_PORT   equ 0xF4

org LOAD_ADDR
image_start:
before_header:
    db "BEFORE-HEADER!!", 0         ; 16 bytes the loader must load too

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
    mov [boot_eax], eax
    mov [boot_ebx], ebx
    xor ebp, ebp                    ; failures

    mov esi, msg_plan
    call puts

    ; 1: the magic
    cmp dword [boot_eax], 0x2BADB002
    setne al
    mov esi, msg_magic
    call tap

    ; 2: the bytes before the header were loaded at load_addr
    cmp dword [before_header], "BEFO"
    setne al
    mov esi, msg_before
    call tap

    ; 3: the entry point was entry_addr (we are here), and the code after the header is intact
    cmp dword [entry_check], 0x600DC0DE
    setne al
    mov esi, msg_entry
    call tap

    ; 4: nothing past load_end_addr was loaded: the bss reads as zero
    mov edi, load_end
    mov ecx, 256 / 4                ; where the file's 0xAA bytes would be (the stack is
                                    ; at the other end of the bss)
    xor eax, eax
.scan:
    or eax, [edi]
    add edi, 4
    dec ecx
    jnz .scan
    test eax, eax
    setnz al
    mov esi, msg_bss
    call tap

    ; 5: EBX points to an information structure announcing the memory fields
    mov ebx, [boot_ebx]
    mov eax, [ebx]
    test eax, 1                     ; flags bit 0: mem_lower/mem_upper
    setz al
    mov esi, msg_info
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

; tap: AL = 0 for ok, else not ok; ESI = the description (with its number)
tap:
    test al, al
    jz .ok
    inc ebp
    push esi
    mov esi, msg_not
    call puts
    pop esi
.ok:
    push esi
    mov esi, msg_ok
    call puts
    pop esi
    call puts
    ret

puts:
    push eax
.next:
    mov al, [esi]
    test al, al
    jz .done
    out DEBUGCON, al
    inc esi
    jmp .next
.done:
    pop eax
    ret

msg_plan:   db "1..5", 10, 0
msg_not:    db "not ", 0
msg_ok:     db "ok ", 0
msg_magic:  db "1 - EAX holds the boot loader magic (a.out kludge image)", 10, 0
msg_before: db "2 - the image is loaded from load_addr, before the header too", 10, 0
msg_entry:  db "3 - execution starts at entry_addr", 10, 0
msg_bss:    db "4 - nothing past load_end_addr is loaded; the bss up to bss_end_addr is zero", 10, 0
msg_info:   db "5 - EBX points to the information structure (memory fields announced)", 10, 0
align 4
entry_check: dd 0x600DC0DE
boot_eax:   dd 0
boot_ebx:   dd 0

align 16
load_end:
    times 256 db 0xAA               ; in the file, beyond load_end_addr: must not be loaded
; the bss: [load_end, bss_end), then the stack inside it
bss_end     equ load_end + 4096
stack_top   equ bss_end
