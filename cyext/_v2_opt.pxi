# Declarations of cyext/v2_opt.h (two-pool V2 cycle optimum, all in C), shared by
# cyext/_v2_math.pyx and cyext/_cycles.pyx (included after _u256.pxi).
cdef extern from "v2_opt.h" nogil:
    ctypedef struct v2opt_cycle:
        u256 a1
        u256 b1
        u256 b2
        u256 a2
        uint64_t g1
        uint64_t g2
        u128 bx
        u128 bm
        u128 bo
        i128 bp
    bint v2opt_optimal(v2opt_cycle *c)
