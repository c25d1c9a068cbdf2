/*
 * cpu/paging.c — linear to physical translation: the x86 page walk the softmmu calls on a TLB
 * miss (Intel SDM Vol. 3A chapter 4).
 *
 * Paging off: linear is physical. 32-bit paging (4.3): a page directory of 1024 4-byte entries,
 * 4 MiB pages with CR4.PSE. PAE paging (4.4): four PDPTEs from CR3, 8-byte entries, 2 MiB pages,
 * NX with EFER.NXE. IA-32e paging (4.5), with EFER.LMA: four levels from CR3 (PML4, PDPT, PD,
 * PT) over 48-bit canonical linear addresses, 1 GiB pages at the PDPT and 2 MiB pages at the PD
 * with PS; a non-canonical address is #GP(0) (Vol. 1 3.3.7.1). Access rights combine over all levels (4.6): user accesses need U/S = 1
 * everywhere and R/W = 1 everywhere to write; supervisor writes to read-only pages fault only
 * with CR0.WP. The walk sets Accessed in every entry it uses and Dirty in the final one on a
 * write (4.8). A fault records CR2 and the error code (4.7) and leaves the raise to the caller.
 * A translation is global when CR4.PGE is set and the entry that maps the page has G (4.10.2.4):
 * the softmmu keeps it across CR3 loads. G is ignored in entries that reference another table.
 */
#include "cpu/cpu-models.h"
#include "cpu/cpu.h"
#include "softmmu/machine.h"

enum { ACCESS_READ = 0, ACCESS_WRITE = 1, ACCESS_FETCH = 2 };

enum {
    PG_P = 1u << 0,
    PG_RW = 1u << 1,
    PG_US = 1u << 2,
    PG_A = 1u << 5,
    PG_D = 1u << 6,
    PG_PS = 1u << 7,
    PG_G = 1u << 8, /* global, in the entry that maps the page (SDM Vol. 3A 4.10.2.4) */
};
#define PG_NX (1ull << 63)

/* page-fault error code bits (SDM Vol. 3A 4.7) */
enum { PF_P = 1, PF_W = 2, PF_U = 4, PF_RSVD = 8, PF_I = 16 };

static bool page_fault(CPUX86State *env, uint64_t linear, uint32_t code)
{
    env->cr[2] = (env->efer & EFER_LMA) ? linear : (uint32_t)linear;
    env->exception = EXCP_PF;
    env->error_code = code;
    return false;
}

/* Set `bits` in the paging-structure entry at phys if they are not set yet (a locked
   read-modify-write on hardware; single-threaded here). */
static void set_bits32(Machine *m, uint64_t phys, uint32_t entry, uint32_t bits)
{
    if ((entry & bits) != bits) {
        softmmu_stl_phys(m, phys, entry | bits);
    }
}

static void set_bits64(Machine *m, uint64_t phys, uint64_t entry, uint64_t bits)
{
    if ((entry & bits) != bits) {
        softmmu_stq_phys(m, phys, entry | bits);
    }
}

#define PG_ADDR 0x000ffffffffff000ull

/* The IA-32e walk (SDM Vol. 3A 4.5): up to four levels of 8-byte entries. Rights combine over
   every level (4.6); A is set in every entry used and D in the leaf, after the rights check, so
   a faulting access changes nothing (4.8). */
static bool walk_ia32e(CPUX86State *env, uint64_t linear, int access, bool user,
                       uint64_t *phys)
{
    Machine *m = env->common.machine;
    bool write = access == ACCESS_WRITE;
    bool fetch = access == ACCESS_FETCH;
    bool nxe = env->efer & EFER_NXE;
    uint32_t err = (write ? PF_W : 0) | (user ? PF_U : 0) | (fetch && nxe ? PF_I : 0);
    bool wp = env->cr[0] & CR0_WP;
    bool rw_all = true, us_all = true, nx = false;
    uint64_t addrs[4], ents[4];
    uint64_t table = env->cr[3] & PG_ADDR;
    /* 1 GiB pages exist only where CPUID says so (pdpe1gb); elsewhere PS in a PDPTE is a
       reserved bit (SDM Vol. 3A 4.5.4) */
    const X86CPUChoice *cpu = &m->opt.cpu_model;
    bool gb_pages = (cpu->model ? cpu->features[FEAT_8001_EDX]
                                : x86_cpu_implemented(FEAT_8001_EDX)) & (1u << 26);
    int n = 0, level = 4;
    for (;;) {
        int shift = 12 + 9 * (level - 1);
        uint64_t ea = table + ((linear >> shift) & 0x1ff) * 8;
        uint64_t e = softmmu_ldq_phys(m, ea);
        if (!(e & PG_P)) {
            return page_fault(env, linear, err);
        }
        /* reserved: NX without EFER.NXE, PS in a PML4E (4.5.4, Table 4-20), PS in a PDPTE
           without 1 GiB pages */
        if ((!nxe && (e & PG_NX)) || (level == 4 && (e & PG_PS)) ||
            (level == 3 && (e & PG_PS) && !gb_pages)) {
            return page_fault(env, linear, err | PF_P | PF_RSVD);
        }
        rw_all &= (e & PG_RW) != 0;
        us_all &= (e & PG_US) != 0;
        nx |= (e & PG_NX) != 0;
        addrs[n] = ea;
        ents[n++] = e;
        if (level == 1 || ((e & PG_PS) && level <= 3)) {
            break;
        }
        table = e & PG_ADDR;
        level--;
    }
    if ((user && !us_all) || (write && !rw_all && (user || wp)) || (fetch && nx && nxe)) {
        return page_fault(env, linear, err | PF_P);
    }
    for (int i = 0; i < n - 1; i++) {
        set_bits64(m, addrs[i], ents[i], PG_A);
    }
    set_bits64(m, addrs[n - 1], ents[n - 1], PG_A | (write ? PG_D : 0));
    uint64_t page_mask = (1ull << (12 + 9 * (level - 1))) - 1;
    *phys = (((ents[n - 1] & PG_ADDR) & ~page_mask) | (linear & page_mask)) & m->a20_mask;
    env->walk_global = (env->cr[4] & CR4_PGE) && (ents[n - 1] & PG_G);
    return true;
}

bool x86_tlb_translate(CPUX86State *env, uint64_t linear, int access, int mmu_idx,
                       uint64_t *phys)
{
    Machine *m = env->common.machine;
    env->walk_global = false;
    if (env->efer & EFER_LMA) {
        if ((uint64_t)((int64_t)(linear << 16) >> 16) != linear) {
            /* non-canonical: #GP(0) (the stack's #SS is not told apart yet) */
            env->exception = EXCP_GP;
            env->error_code = 0;
            return false;
        }
        return walk_ia32e(env, linear, access, mmu_idx == 1 || mmu_idx == 3, phys);
    }
    linear &= 0xffffffffu;
    if (!(env->cr[0] & CR0_PG)) {
        *phys = linear & m->a20_mask;
        return true;
    }
    bool user = mmu_idx == 1 || mmu_idx == 3;
    bool write = access == ACCESS_WRITE;
    bool fetch = access == ACCESS_FETCH;
    uint32_t err = (write ? PF_W : 0) | (user ? PF_U : 0);
    bool wp = env->cr[0] & CR0_WP;
    bool rw_all = true, us_all = true;
    uint64_t frame, offset_mask;
    uint64_t leaf; /* the entry that maps the page */

    if (env->cr[4] & CR4_PAE) {
        bool nxe = env->efer & EFER_NXE;
        uint64_t rsvd_nx = nxe ? 0 : PG_NX;
        bool nx = false;
        /* PDPTE (SDM 4.4.1): present, no rights bits */
        uint64_t pdpte_addr = (env->cr[3] & ~0x1fu) + ((linear >> 30) & 3) * 8;
        uint64_t pdpte = softmmu_ldq_phys(m, pdpte_addr);
        if (!(pdpte & PG_P)) {
            return page_fault(env, linear, err);
        }
        uint64_t pde_addr = (pdpte & 0x000ffffffffff000ull) + ((linear >> 21) & 0x1ff) * 8;
        uint64_t pde = softmmu_ldq_phys(m, pde_addr);
        if (!(pde & PG_P)) {
            return page_fault(env, linear, err);
        }
        if (pde & rsvd_nx) {
            return page_fault(env, linear, err | PF_P | PF_RSVD);
        }
        rw_all &= (pde & PG_RW) != 0;
        us_all &= (pde & PG_US) != 0;
        nx |= (pde & PG_NX) != 0;
        if (pde & PG_PS) {
            if ((user && !us_all) || (write && !rw_all && (user || wp)) || (fetch && nx && nxe)) {
                return page_fault(env, linear, err | PF_P | (fetch && nxe ? PF_I : 0));
            }
            set_bits64(m, pde_addr, pde, PG_A | (write ? PG_D : 0));
            frame = pde & 0x000fffffffe00000ull;
            offset_mask = 0x1fffff;
            leaf = pde;
        } else {
            uint64_t pte_addr = (pde & 0x000ffffffffff000ull) + ((linear >> 12) & 0x1ff) * 8;
            uint64_t pte = softmmu_ldq_phys(m, pte_addr);
            if (!(pte & PG_P)) {
                return page_fault(env, linear, err);
            }
            if (pte & rsvd_nx) {
                return page_fault(env, linear, err | PF_P | PF_RSVD);
            }
            rw_all &= (pte & PG_RW) != 0;
            us_all &= (pte & PG_US) != 0;
            nx |= (pte & PG_NX) != 0;
            set_bits64(m, pde_addr, pde, PG_A);
            /* rights are checked before A/D are set: a faulting access changes nothing */
            if ((user && !us_all) || (write && !rw_all && (user || wp)) || (fetch && nx && nxe)) {
                return page_fault(env, linear, err | PF_P | (fetch && nxe ? PF_I : 0));
            }
            set_bits64(m, pte_addr, pte, PG_A | (write ? PG_D : 0));
            frame = pte & 0x000ffffffffff000ull;
            offset_mask = 0xfff;
            leaf = pte;
        }
    } else {
        /* 32-bit paging (SDM 4.3) */
        uint64_t pde_addr = (env->cr[3] & 0xfffff000u) + ((linear >> 22) & 0x3ff) * 4;
        uint32_t pde = softmmu_ldl_phys(m, pde_addr);
        if (!(pde & PG_P)) {
            return page_fault(env, linear, err);
        }
        rw_all &= (pde & PG_RW) != 0;
        us_all &= (pde & PG_US) != 0;
        if ((pde & PG_PS) && (env->cr[4] & CR4_PSE)) {
            if ((user && !us_all) || (write && !rw_all && (user || wp))) {
                return page_fault(env, linear, err | PF_P);
            }
            set_bits32(m, pde_addr, pde, PG_A | (write ? PG_D : 0));
            /* PSE-36: bits 13..20 of the PDE are physical address bits 32..39 */
            frame = (pde & 0xffc00000u) | ((uint64_t)((pde >> 13) & 0xff) << 32);
            offset_mask = 0x3fffff;
            leaf = pde;
            goto done;
        }
        uint64_t pte_addr = (pde & 0xfffff000u) + ((linear >> 12) & 0x3ff) * 4;
        uint32_t pte = softmmu_ldl_phys(m, pte_addr);
        if (!(pte & PG_P)) {
            return page_fault(env, linear, err);
        }
        rw_all &= (pte & PG_RW) != 0;
        us_all &= (pte & PG_US) != 0;
        if ((user && !us_all) || (write && !rw_all && (user || wp))) {
            return page_fault(env, linear, err | PF_P);
        }
        set_bits32(m, pde_addr, pde, PG_A);
        set_bits32(m, pte_addr, pte, PG_A | (write ? PG_D : 0));
        frame = pte & 0xfffff000u;
        offset_mask = 0xfff;
        leaf = pte;
    }
done:
    *phys = (frame | (linear & offset_mask)) & m->a20_mask;
    env->walk_global = (env->cr[4] & CR4_PGE) && (leaf & PG_G);
    return true;
}
