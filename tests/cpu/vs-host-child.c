/*
 * tests/cpu/vs-host-child.c — runs instruction sequences on the host CPU for tests/cpu/vs-host.
 *
 * Built twice: with -m32 (32-bit sequences run in a 32-bit process) and natively (64-bit).
 * The parent shares one memory file with it, mapped at the same linear addresses xlat uses
 * (tests/cpu/vs-host.h): the data window, the stack, the code and a control block. For each
 * command byte on the pipe the child loads the registers and EFLAGS from the control block and
 * jumps to the code; the sequence ends with HLT, which faults in user mode (#GP, SIGSEGV), and
 * the signal handler records the registers at that point from the signal context and returns
 * to the loop with siglongjmp. The handler runs on its own stack, so the guest stack is only
 * what the sequence wrote.
 *
 * Usage (by the parent): vs-host-child CMD_FD REPLY_FD MEM_FD BASE
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "vs-host.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static sigjmp_buf run_jb;
static VshCtrl *ctrl;
/* named by the trampoline's assembly, so global */
uintptr_t jump_target;                     /* read by the trampoline's indirect jump */
uintptr_t reg_block[17];                   /* popped into the registers by the trampoline */
static char alt_stack[64 * 1024];

static void on_signal(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    greg_t *g = uc->uc_mcontext.gregs;
#if defined(__x86_64__)
    static const int order[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP,
                                  REG_RSI, REG_RDI, REG_R8,  REG_R9,  REG_R10, REG_R11,
                                  REG_R12, REG_R13, REG_R14, REG_R15};
    for (int i = 0; i < 16; i++) {
        ctrl->regs_out[i] = (uint64_t)g[order[i]];
    }
    ctrl->eflags_out = (uint64_t)g[REG_EFL];
    ctrl->rip_out = (uint64_t)g[REG_RIP];
#else
    static const int order[8] = {REG_EAX, REG_ECX, REG_EDX, REG_EBX,
                                 REG_ESP, REG_EBP, REG_ESI, REG_EDI};
    for (int i = 0; i < 8; i++) {
        ctrl->regs_out[i] = (uint32_t)g[order[i]];
    }
    ctrl->eflags_out = (uint32_t)g[REG_EFL];
    ctrl->rip_out = (uint32_t)g[REG_EIP];
#endif
    ctrl->signo = sig;
    ctrl->fault_addr = (uint64_t)(uintptr_t)si->si_addr;
    siglongjmp(run_jb, 1);
}

/* Load EFLAGS, every register, and jump to the sequence. Never returns: the HLT at the end of
   the sequence (or any fault) comes back through on_signal. */
__attribute__((noinline, noreturn)) static void enter_sequence(uintptr_t eflags)
{
#if defined(__x86_64__)
    __asm__ volatile("pushq %0\n\t"
                     "popfq\n\t"
                     "leaq reg_block(%%rip), %%rsp\n\t"
                     "popq %%rax\n\tpopq %%rcx\n\tpopq %%rdx\n\tpopq %%rbx\n\t"
                     "leaq 8(%%rsp), %%rsp\n\t" /* the RSP slot: loaded last */
                     "popq %%rbp\n\tpopq %%rsi\n\tpopq %%rdi\n\t"
                     "popq %%r8\n\tpopq %%r9\n\tpopq %%r10\n\tpopq %%r11\n\t"
                     "popq %%r12\n\tpopq %%r13\n\tpopq %%r14\n\tpopq %%r15\n\t"
                     "movq (%%rsp), %%rsp\n\t"
                     "jmp *jump_target(%%rip)\n\t"
                     :
                     : "r"(eflags)
                     : "memory");
#else
    __asm__ volatile("pushl %0\n\t"
                     "popfl\n\t"
                     "movl $reg_block, %%esp\n\t"
                     "popal\n\t" /* EDI ESI EBP (ESP) EBX EDX ECX EAX */
                     "movl (%%esp), %%esp\n\t"
                     "jmp *jump_target\n\t"
                     :
                     : "r"(eflags)
                     : "memory");
#endif
    __builtin_unreachable();
}

static void run_one(void)
{
#if defined(__x86_64__)
    for (int i = 0; i < 16; i++) {
        reg_block[i] = (uintptr_t)ctrl->regs_in[i];
    }
    reg_block[16] = (uintptr_t)ctrl->regs_in[4];
#else
    /* POPA order: EDI ESI EBP (ESP) EBX EDX ECX EAX, then the real ESP */
    static const int popa_order[8] = {7, 6, 5, 4, 3, 2, 1, 0};
    for (int i = 0; i < 8; i++) {
        reg_block[i] = (uintptr_t)ctrl->regs_in[popa_order[i]];
    }
    reg_block[8] = (uintptr_t)ctrl->regs_in[4];
#endif
    jump_target = ctrl->jump_target;
    ctrl->signo = 0;
    ctrl->ok = 0;
    alarm(5); /* a sequence that never reaches its HLT (a generator or xlat bug) */
    if (sigsetjmp(run_jb, 1) == 0) {
        enter_sequence((uintptr_t)ctrl->eflags_in);
    }
    alarm(0);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s CMD_FD REPLY_FD MEM_FD BASE\n", argv[0]);
        return 2;
    }
    int cmd_fd = atoi(argv[1]), reply_fd = atoi(argv[2]), mem_fd = atoi(argv[3]);
    uintptr_t base = (uintptr_t)strtoull(argv[4], NULL, 0);
    void *want = (void *)(base + VSH_BASE);
    void *p = mmap(want, VSH_END - VSH_BASE, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_SHARED | MAP_FIXED_NOREPLACE, mem_fd, 0);
    char reply = VSH_REPLY_DONE;
    if (p != want) {
        perror("vs-host-child: mmap at the fixed layout");
        reply = 'e';
    }
    ctrl = (VshCtrl *)(base + VSH_CTRL);

    stack_t ss = {.ss_sp = alt_stack, .ss_size = sizeof(alt_stack), .ss_flags = 0};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGSEGV, SIGILL, SIGFPE, SIGBUS, SIGTRAP, SIGALRM};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        sigaction(sigs[i], &sa, NULL);
    }
    if (write(reply_fd, &reply, 1) != 1 || reply != VSH_REPLY_DONE) {
        return 1;
    }
    for (;;) {
        char c;
        if (read(cmd_fd, &c, 1) != 1 || c == VSH_CMD_QUIT) {
            return 0;
        }
        run_one();
        reply = VSH_REPLY_DONE;
        if (write(reply_fd, &reply, 1) != 1) {
            return 1;
        }
    }
}
