/*
 * tests/guests/kernels/lib/boot.S — Multiboot header and entry of the test kernels.
 *
 * The header (Multiboot 0.6.96 section 3.1) asks for nothing but page-aligned modules and memory
 * information, and has no address fields (flag bit 16 clear): the boot loader loads the ELF
 * program headers. At entry (section 3.2) EAX holds 0x2BADB002 and EBX the information
 * structure; the stack pointer is undefined, so the first thing is a stack of our own.
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* bit 0: modules page-aligned; bit 1: memory information */

    .section .multiboot, "a"
    .balign 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .text
    .globl _start
_start:
    /* record the machine state Multiboot promises before touching anything */
    movl %eax, boot_magic
    movl %ebx, boot_info
    movl $kstack_top, %esp      /* (MOV changes no flag: EFLAGS is still the boot loader's) */
    pushfl
    popl boot_eflags
    movl %cr0, %eax
    movl %eax, boot_cr0
    pushl $0
    popfl                       /* IF, DF, TF clear */
    call libk_start             /* runtime set-up, then kmain, then the exit */
1:  cli
    hlt
    jmp 1b

    .section .data
    .balign 4
    .globl boot_magic, boot_info, boot_eflags, boot_cr0
boot_magic:  .long 0
boot_info:   .long 0
boot_eflags: .long 0
boot_cr0:    .long 0

    .section .bss
    .balign 4096
    .globl kstack_top, istack, istack_top, ustack, ustack_top
    .space 16384
kstack_top:
istack:                         /* the ring-0 stack of the TSS (interrupts from ring 3) */
    .space 8192
istack_top:
ustack:                         /* ring-3 stack for run_user */
    .space 8192
ustack_top:

    .section .note.GNU-stack, "", @progbits
