/*
 * cpu/cpu-models.c — the CPU models `-cpu` knows and the CPUID feature flags by name.
 *
 * Feature names and bit positions: Intel SDM Vol. 2A, CPUID, Table 3-10 (leaf 1 ECX), Table 3-11
 * (leaf 1 EDX) and the leaf 80000001H table; the names are the ones Linux shows in
 * /proc/cpuinfo and QEMU accepts on its command line, so users' -cpu strings carry over. The
 * models are the classic ones QEMU offers for 32-bit test suites, with the family, model and
 * stepping of the processors they stand for.
 *
 * `implemented` is xlat's own statement of what its translator and helpers do today. It is the
 * one place that says so: when an instruction set extension lands, flip its flag here (CPUID
 * reports the choice made from this table).
 */
#include <stdio.h>
#include <string.h>

#include "cpu/cpu-models.h"

typedef struct FeatureName {
    const char *name;
    const char *alias; /* another spelling QEMU accepts, or NULL */
    uint8_t word, bit;
    bool implemented;
} FeatureName;

static const FeatureName features[] = {
    /* leaf 1 EDX (Table 3-11) */
    {"fpu", NULL, FEAT_1_EDX, 0, true}, /* x87: cpu/x87.c */
    {"vme", NULL, FEAT_1_EDX, 1, false},
    {"de", NULL, FEAT_1_EDX, 2, false},
    {"pse", NULL, FEAT_1_EDX, 3, true}, /* 4 MiB pages: cpu/paging.c */
    {"tsc", NULL, FEAT_1_EDX, 4, true},
    {"msr", NULL, FEAT_1_EDX, 5, true},
    {"pae", NULL, FEAT_1_EDX, 6, true}, /* cpu/paging.c */
    {"mce", NULL, FEAT_1_EDX, 7, false},
    {"cx8", NULL, FEAT_1_EDX, 8, true},
    {"apic", NULL, FEAT_1_EDX, 9, true}, /* hw/apic.c (xAPIC) */
    {"sep", NULL, FEAT_1_EDX, 11, true}, /* cpu/sysenter.c */
    {"mtrr", NULL, FEAT_1_EDX, 12, false}, /* the MSRs read back, but no firmware fills them */
    {"pge", NULL, FEAT_1_EDX, 13, true}, /* allowed to flush global entries too (SDM 4.10.4.1) */
    {"mca", NULL, FEAT_1_EDX, 14, false},
    {"cmov", NULL, FEAT_1_EDX, 15, true},
    {"pat", NULL, FEAT_1_EDX, 16, true}, /* the MSR reads back: no caches to type */
    {"pse36", NULL, FEAT_1_EDX, 17, true}, /* cpu/paging.c: PDE bits 13-20 */
    {"clflush", NULL, FEAT_1_EDX, 19, false},
    {"mmx", NULL, FEAT_1_EDX, 23, false},
    {"fxsr", NULL, FEAT_1_EDX, 24, true}, /* FXSAVE/FXRSTOR: cpu/x87.c */
    {"sse", NULL, FEAT_1_EDX, 25, false},
    {"sse2", NULL, FEAT_1_EDX, 26, false},
    {"ss", NULL, FEAT_1_EDX, 27, false},
    {"ht", NULL, FEAT_1_EDX, 28, false},
    /* leaf 1 ECX (Table 3-10) */
    {"sse3", "pni", FEAT_1_ECX, 0, false},
    {"pclmulqdq", "pclmuldq", FEAT_1_ECX, 1, false},
    {"monitor", NULL, FEAT_1_ECX, 3, false},
    {"vmx", NULL, FEAT_1_ECX, 5, false},
    {"ssse3", NULL, FEAT_1_ECX, 9, false},
    {"fma", NULL, FEAT_1_ECX, 12, false},
    {"cx16", NULL, FEAT_1_ECX, 13, false},
    {"pcid", NULL, FEAT_1_ECX, 17, false},
    {"sse4.1", "sse4_1", FEAT_1_ECX, 19, false},
    {"sse4.2", "sse4_2", FEAT_1_ECX, 20, false},
    {"x2apic", NULL, FEAT_1_ECX, 21, false},
    {"movbe", NULL, FEAT_1_ECX, 22, false},
    {"popcnt", NULL, FEAT_1_ECX, 23, true},
    {"tsc-deadline", NULL, FEAT_1_ECX, 24, false},
    {"aes", NULL, FEAT_1_ECX, 25, false},
    {"xsave", NULL, FEAT_1_ECX, 26, false},
    {"avx", NULL, FEAT_1_ECX, 28, false},
    {"f16c", NULL, FEAT_1_ECX, 29, false},
    {"rdrand", NULL, FEAT_1_ECX, 30, false},
    {"hypervisor", NULL, FEAT_1_ECX, 31, false},
    /* leaf 80000001H EDX */
    {"syscall", NULL, FEAT_8001_EDX, 11, true},
    {"nx", "xd", FEAT_8001_EDX, 20, false},
    {"pdpe1gb", NULL, FEAT_8001_EDX, 26, true},
    {"rdtscp", NULL, FEAT_8001_EDX, 27, true}, /* cpu/helper-prot.c, with IA32_TSC_AUX */
    {"lm", NULL, FEAT_8001_EDX, 29, true},
    /* leaf 80000001H ECX */
    {"lahf-lm", "lahf_lm", FEAT_8001_ECX, 0, false},
    {"abm", NULL, FEAT_8001_ECX, 5, true}, /* LZCNT */
    {"sse4a", NULL, FEAT_8001_ECX, 6, false},
    {"3dnowprefetch", NULL, FEAT_8001_ECX, 8, false},
};
#define NB_FEATURES (sizeof(features) / sizeof(features[0]))

/* the feature sets of the models, as bit masks of leaf 1 EDX */
#define F(n) (1u << (n))
#define I486_EDX     (F(0) | F(1) | F(3))                                   /* fpu vme pse */
/* + de tsc msr mce cx8 mmx */
#define PENTIUM_EDX  (I486_EDX | F(2) | F(4) | F(5) | F(7) | F(8) | F(23))
#define PENTIUM2_EDX (PENTIUM_EDX | F(6) | F(11) | F(12) | F(13) | F(14) | F(15) | F(16) | \
                      F(17) | F(24))        /* pae sep mtrr pge mca cmov pat pse36 fxsr */
#define PENTIUM3_EDX (PENTIUM2_EDX | F(25)) /* sse */
#define PPRO_EDX     (F(0) | F(2) | F(3) | F(4) | F(5) | F(6) | F(7) | F(8) | F(11) | F(13) | \
                      F(15) | F(16) | F(23) | F(24) | F(25) | F(26))

typedef struct CPUModel {
    const char *name;
    const char *desc;
    uint32_t family, model_id, stepping;
    uint32_t features[FEAT_WORDS];
    bool all_implemented; /* "max": whatever xlat implements */
} CPUModel;

static const CPUModel models[] = {
    {"486", "Intel 486DX4", 4, 8, 0, {I486_EDX, 0, 0, 0}, false},
    {"pentium", "Intel Pentium (P5)", 5, 4, 3, {PENTIUM_EDX, 0, 0, 0}, false},
    {"pentium2", "Intel Pentium II", 6, 5, 2, {PENTIUM2_EDX, 0, 0, 0}, false},
    {"pentium3", "Intel Pentium III", 6, 7, 3, {PENTIUM3_EDX, 0, 0, 0}, false},
    {"qemu32", "QEMU's generic 32-bit CPU", 6, 6, 3, {PPRO_EDX, F(0) /* sse3 */, 0, 0}, false},
    {"qemu64", "QEMU's generic 64-bit CPU", 15, 107, 1,
     {PPRO_EDX | F(12) | F(14) | F(17), F(0) | F(13) /* sse3 cx16 */,
      F(11) | F(20) | F(29) /* syscall nx lm */, F(0) /* lahf_lm */},
     false},
    {"max", "everything xlat implements", 6, 0, 0, {0, 0, 0, 0}, true},
};
#define NB_MODELS (sizeof(models) / sizeof(models[0]))

uint32_t x86_cpu_implemented(int word)
{
    uint32_t mask = 0;
    for (size_t i = 0; i < NB_FEATURES; i++) {
        if (features[i].word == word && features[i].implemented) {
            mask |= 1u << features[i].bit;
        }
    }
    return mask;
}

static const FeatureName *find_feature(const char *name, size_t len)
{
    for (size_t i = 0; i < NB_FEATURES; i++) {
        const FeatureName *f = &features[i];
        if ((strlen(f->name) == len && strncmp(f->name, name, len) == 0) ||
            (f->alias && strlen(f->alias) == len && strncmp(f->alias, name, len) == 0)) {
            return f;
        }
    }
    return NULL;
}

int x86_cpu_choice_parse(X86CPUChoice *c, const char *spec, char *err, size_t errlen)
{
    size_t len = strcspn(spec, ",");
    const CPUModel *m = NULL;
    if (len == 4 && strncmp(spec, "host", 4) == 0) {
        snprintf(err, errlen,
                 "-cpu host passes the host CPU through with KVM; xlat is a binary translator "
                 "(try -cpu max)");
        return -1;
    }
    for (size_t i = 0; i < NB_MODELS; i++) {
        if (strlen(models[i].name) == len && strncmp(models[i].name, spec, len) == 0) {
            m = &models[i];
        }
    }
    if (!m) {
        snprintf(err, errlen, "-cpu %.*s: unknown CPU model (try -cpu help)", (int)len, spec);
        return -1;
    }
    memset(c, 0, sizeof(*c));
    c->model = m->name;
    c->family = m->family;
    c->model_id = m->model_id;
    c->stepping = m->stepping;
    for (int w = 0; w < FEAT_WORDS; w++) {
        /* a model's features that xlat lacks are not advertised (QEMU's TCG drops what it
           cannot do in the same way) */
        c->features[w] = (m->all_implemented ? ~0u : m->features[w]) & x86_cpu_implemented(w);
    }
    /* then +feat, -feat, feat, feat=on|off, in order: the last word on a feature wins */
    const char *p = spec + len;
    while (*p == ',') {
        p++;
        size_t n = strcspn(p, ",");
        const char *name = p;
        size_t name_len = n;
        bool on = true;
        const char *eq = memchr(p, '=', n);
        if (*p == '+' || *p == '-') {
            on = *p == '+';
            name++;
            name_len--;
        } else if (eq) {
            name_len = (size_t)(eq - p);
            size_t vlen = n - name_len - 1;
            if (vlen == 2 && strncmp(eq + 1, "on", 2) == 0) {
                on = true;
            } else if (vlen == 3 && strncmp(eq + 1, "off", 3) == 0) {
                on = false;
            } else {
                snprintf(err, errlen, "-cpu %s: '%.*s' must be on or off", spec, (int)n, p);
                return -1;
            }
        }
        const FeatureName *f = name_len ? find_feature(name, name_len) : NULL;
        if (!f) {
            snprintf(err, errlen, "-cpu %s: unknown feature or property '%.*s' (try -cpu help)",
                     spec, (int)name_len, name);
            return -1;
        }
        if (on && !f->implemented) {
            snprintf(err, errlen, "-cpu %s: xlat does not implement '%s' yet, so it cannot "
                     "advertise it", spec, f->name);
            return -1;
        }
        if (on) {
            c->features[f->word] |= 1u << f->bit;
        } else {
            c->features[f->word] &= ~(1u << f->bit);
        }
        p += n;
    }
    return 0;
}

void x86_cpu_list(FILE *out)
{
    fprintf(out, "Available CPU models (-cpu MODEL[,+FEAT][,-FEAT][,FEAT=on|off]):\n");
    for (size_t i = 0; i < NB_MODELS; i++) {
        fprintf(out, "  %-10s %s (family %u model %u stepping %u)\n", models[i].name,
                models[i].desc, models[i].family, models[i].model_id, models[i].stepping);
    }
    fprintf(out, "\nFeatures xlat implements (a model's other features are not advertised):\n ");
    for (size_t i = 0; i < NB_FEATURES; i++) {
        if (features[i].implemented) {
            fprintf(out, " %s", features[i].name);
        }
    }
    fprintf(out, "\nKnown but not implemented yet:\n ");
    for (size_t i = 0; i < NB_FEATURES; i++) {
        if (!features[i].implemented) {
            fprintf(out, " %s", features[i].name);
        }
    }
    fprintf(out, "\n");
}
