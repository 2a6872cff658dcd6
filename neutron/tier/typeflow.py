"""The forward type analysis: what is certainly known of the type of each local and stack slot before each
instruction."""
from __future__ import annotations

from ..bytecode import opcodes as O
from .exceptions import Unsupported
from .opsets import ARITH, COMPARE, OBSERVERS, POP_ONE, PUSH_UNKNOWN, REPLACE_TOP
from .tags import BOO, CHECKED_TAG, DCT, FLT, LST, SEQ, STR, binary_tag, method_result_tag, pure_invoke, tag_of


def type_flow(an, seeds, stable=frozenset()):
    """What is certainly known of the type of each local and stack slot before each instruction, from the
    seeds [(ip, local tags, stack tags)]. Tags: FLT (float), STR, LST, DCT, INS (instance), BOO (boolean) or
    None (unknown). A handler starts knowing nothing about the locals; an instruction that may run Neutron code
    forgets what is known of the volatile slots (promoted globals) but the stable ones (no call can assign them:
    promote.stable_globals)."""
    instrs = an.code.instrs
    vol = an.volatile - stable
    consts = an.code.consts
    names = an.code.names
    succ = an.succ
    state = {}
    work = list(seeds)
    unknown = {}
    while work:
        ip, L, S = work.pop()       # L: {slot: tag} of the locals with a known tag
        old = state.get(ip)
        if old is not None:
            nl = {k: v for k, v in old[0].items() if L.get(k) == v}
            ns = tuple(a if a == b else None for a, b in zip(old[1], S))
            if nl == old[0] and ns == old[1]:
                continue
            L, S = nl, ns
        state[ip] = (L, S)
        o, a = instrs[ip]
        n = len(S)
        if o in O.JUMPS:
            if o == O.JUMP:
                work.append((a, L, S))
            elif o == O.JUMP_IF_FALSE or o == O.JUMP_IF_TRUE:
                work.append((ip + 1, L, S[:-1]))
                work.append((a, L, S[:-1]))
            elif o == O.JUMP_IF_FALSE_KEEP or o == O.JUMP_IF_TRUE_KEEP:
                work.append((ip + 1, L, S[:-1]))
                work.append((a, L, S))
            elif o == O.JUMP_IF_NIL_KEEP:
                work.append((ip + 1, L, S))
                work.append((a, L, S))
            elif o == O.FOR_ITER:
                work.append((ip + 1, L, S + (None,)))
                work.append((a, L, S[:-1]))
            elif o == O.SETUP_TRY:
                work.append((ip + 1, L, S))
                work.append((a, unknown, S + (None,)))
            continue
        if not succ[ip]:
            continue
        if vol and o in OBSERVERS and (o != O.INVOKE or not pure_invoke(S[n - a[1] - 1], names[a[0]], a[1])):
            L = {k: v for k, v in L.items() if k not in vol}
        if o == O.CONST:
            S = S + (tag_of(consts[a]),)
        elif o == O.LOAD_LOCAL:
            S = S + (L.get(a),)
        elif o == O.STORE_LOCAL:
            t = S[-1]
            if t is not None or a in L:
                L = dict(L)
                if t is None:
                    del L[a]
                else:
                    L[a] = t
            S = S[:-1]
        elif o == O.MAKE_CELL or o == O.NEW_CELL:
            if a in L:
                L = dict(L)
                del L[a]
        elif o == O.POP:
            S = S[:-1]
        elif o == O.DUP:
            S = S + S[-1:]
        elif o == O.DUP2:
            S = S + S[-2:]
        elif o == O.ROT3:
            S = S[:-3] + (S[-1], S[-3], S[-2])
        elif o in ARITH:
            S = S[:-2] + (binary_tag(o, S[-2], S[-1]),)
        elif o in COMPARE:
            S = S[:-2] + (BOO,)
        elif o == O.NEG or o == O.BNOT:
            S = S[:-1] + (FLT,)
        elif o == O.NOT:
            S = S[:-1] + (BOO,)
        elif o == O.TO_STR:
            S = S[:-1] + (STR,)
        elif o == O.GET_PROP:
            S = S[:-1] + (FLT if names[a] == "length" and S[-1] in (LST, STR, SEQ) else None,)
        elif o == O.GET_INDEX:
            S = S[:-2] + (STR if S[-2] == STR else None,)
        elif o == O.SET_PROP:
            S = S[:-2] + S[-1:]
        elif o == O.SET_INDEX:
            S = S[:-3] + S[-1:]
        elif o == O.CHECK_TYPE:
            t = CHECKED_TAG.get(consts[a][0])
            if t is not None:
                S = S[:-1] + (t,)
        elif o == O.POP_TRY:
            pass
        elif o in PUSH_UNKNOWN:
            S = S + (None,)
        elif o in POP_ONE:
            S = S[:-1]
        elif o in REPLACE_TOP:
            S = S[:-1] + (None,)
        elif o == O.CALL_ARRAY:
            S = S[:-2] + (None,)
        elif o == O.CONCAT:
            S = S[:n - a] + (STR,)
        elif o == O.BUILD_LIST:
            S = S[:n - a] + (LST,)
        elif o == O.BUILD_OBJECT:
            S = S[:n - 2 * a] + (DCT,)
        elif o == O.CALL:
            S = S[:n - a - 1] + (None,)
        elif o == O.INVOKE:
            k = a[1] + 1
            S = S[:n - k] + (method_result_tag(S[n - k], names[a[0]]),)
        elif o == O.END_FINALLY:
            S = S[:-2]
        else:
            raise Unsupported(f"type analysis: {O.NAMES[o]}")
        work.append((ip + 1, L, S))
    return state
