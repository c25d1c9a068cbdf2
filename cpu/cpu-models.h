/*
 * cpu/cpu-models.h — named CPU models and CPUID feature flags for `-cpu MODEL[,+feat,-feat...]`
 * (cpu/cpu-models.c).
 *
 * The command line stores the user's choice here; CPUID (cpu/helper-int.c) reports it. A model
 * names a family/model/stepping and a feature set; features xlat does not implement are never
 * advertised (a model that lists one simply loses it; asking for one explicitly is an error),
 * so a guest that trusts CPUID never meets an instruction xlat lacks.
 */
#ifndef XLAT_CPU_CPU_MODELS_H
#define XLAT_CPU_CPU_MODELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* the CPUID feature words (SDM Vol. 2A CPUID, Tables 3-10, 3-11 and leaf 80000001H) */
enum {
    FEAT_1_EDX,     /* leaf 1, EDX */
    FEAT_1_ECX,     /* leaf 1, ECX */
    FEAT_8001_EDX,  /* leaf 80000001H, EDX */
    FEAT_8001_ECX,  /* leaf 80000001H, ECX */
    FEAT_WORDS,
};

typedef struct X86CPUChoice {
    const char *model;          /* the model's name; NULL: no -cpu given (CPUID's default) */
    uint32_t family, model_id, stepping;
    uint32_t features[FEAT_WORDS]; /* what CPUID should report: implemented features only */
} X86CPUChoice;

/* Parse a -cpu argument ("pentium3", "qemu32,-pae,+popcnt", "max,cmov=off", "help" is the
   caller's). Returns 0, or -1 with a one-line reason in err. */
int x86_cpu_choice_parse(X86CPUChoice *c, const char *spec, char *err, size_t errlen);
/* -cpu help: the models and the features, marking those xlat implements. */
void x86_cpu_list(FILE *out);
/* The features xlat implements, per word (what "-cpu max" reports). */
uint32_t x86_cpu_implemented(int word);

#endif
