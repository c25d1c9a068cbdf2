/*
 * tests/guests/kernels/lib/isr.S — exception and interrupt entry stubs, and the ring-3 glue of
 * the test kernels' runtime.
 *
 * One 16-byte stub per vector (isr_stubs + 16 * vector): vectors for which the CPU pushes an
 * error code (SDM Vol. 3A 6.13, Table 6-1: 8, 10-14, 17, 21) push only the vector; the others
 * push a 0 in its place first, so every frame has the layout of struct excp_frame. The common
 * part saves the general and data segment registers, calls excp_dispatch (libk.c) with the
 * frame, and returns with IRET to whatever EIP the frame then holds.
 */
#define SEL_KDATA 0x10
#define SEL_UCODE 0x1b
#define SEL_UDATA 0x23
#define USER_EXIT_VECTOR 0x80

    .text
    .balign 16
    .globl isr_stubs
isr_stubs:
    .set vec, 0
    .rept 256
    .balign 16
    .if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21)
    .else
    pushl $0
    .endif
    pushl $vec
    jmp isr_common
    .set vec, vec + 1
    .endr

    /* Vector 13 and 14 entered by software INT n, which pushes no error code (SDM Vol. 3A
       6.13: "the processor does not push an error code" for INT n): tests point the IDT here
       when they raise those vectors with INT. */
    .globl isr_soft13, isr_soft14
    .balign 16
isr_soft13:
    pushl $0
    pushl $13
    jmp isr_common
    .balign 16
isr_soft14:
    pushl $0
    pushl $14
    jmp isr_common

isr_common:
    pushal
    pushl %ds
    pushl %es
    pushl %fs
    pushl %gs
    movl $SEL_KDATA, %eax
    movw %ax, %ds
    movw %ax, %es
    cld
    pushl %esp                  /* struct excp_frame * */
    call excp_dispatch
    addl $4, %esp
    popl %gs
    popl %fs
    popl %es
    popl %ds
    popal
    addl $8, %esp               /* vector, error code */
    iret

/* uint32_t run_user(uint32_t (*fn)(void), uint32_t eflags, uint16_t fs_gs)
   IRET to ring 3 (SDM Vol. 3A 6.12.1, the return to an outer privilege level pops SS:ESP). */
    .globl run_user
run_user:
    pushl %ebp
    pushl %ebx
    pushl %esi
    pushl %edi
    movl %esp, user_saved_esp
    movl 20(%esp), %eax         /* fn, called by the trampoline */
    movl 24(%esp), %ecx         /* EFLAGS for ring 3 */
    movl 28(%esp), %edx         /* FS and GS */
    movw %dx, %fs
    movw %dx, %gs
    movl $SEL_UDATA, %ebx
    movw %bx, %ds
    movw %bx, %es
    pushl $SEL_UDATA            /* SS */
    pushl $ustack_top           /* ESP */
    pushl %ecx                  /* EFLAGS */
    pushl $SEL_UCODE            /* CS */
    pushl $user_trampoline      /* EIP */
    iret

/* ring 3: call the test's function, then leave through INT 0x80 with its result in EAX */
    .globl user_trampoline
user_trampoline:
    call *%eax
    int $USER_EXIT_VECTOR
    ud2                         /* never reached: the kernel does not return here */

/* void user_return(uint32_t value): from the INT 0x80 handler (ring 0, on the TSS stack) back
   to run_user's caller, as if run_user returned value */
    .globl user_return
user_return:
    movl 4(%esp), %eax
    movl $SEL_KDATA, %ecx
    movw %cx, %ds
    movw %cx, %es
    movw %cx, %fs
    movw %cx, %gs
    movl user_saved_esp, %esp
    popl %edi
    popl %esi
    popl %ebx
    popl %ebp
    ret

    .data
    .balign 4
user_saved_esp:
    .long 0

    .section .note.GNU-stack, "", @progbits
