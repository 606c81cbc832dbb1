"""Interfaces of the RTL units read from rtl/*.v with pyverilog: per module its
parameters (header defaults, evaluated in order) and its ports (direction and width,
the width expression evaluated with the parameter values).

pyverilog preprocesses with ``iverilog -E`` (so iverilog must be on PATH) and is given
``debug=False`` and its own package directory for the parser tables (otherwise it
rebuilds them on each parse and writes parsetab.py into the current directory).  It does
not read SystemVerilog typedefs/structs: the RTL keeps to Verilog-2005 plus ``logic``.
"""
from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

RTL_DIR = Path(__file__).resolve().parents[2] / "rtl"


@dataclass
class ModuleInterface:
    name: str
    parameters: dict = field(default_factory=dict)     # name -> value
    ports: dict = field(default_factory=dict)          # name -> (direction, width)

    def as_declaration(self) -> dict:
        return {"module": self.name, "parameters": dict(self.parameters),
                "ports": {k: tuple(v) for k, v in self.ports.items()}}


class EvalError(ValueError):
    pass


def _eval(node, env):
    """Value of a constant expression of the pyverilog AST under parameter values env."""
    from pyverilog.vparser import ast as A
    t = type(node).__name__
    if isinstance(node, A.Rvalue):
        return _eval(node.var, env)
    if isinstance(node, A.IntConst):
        return _int_const(node.value)
    if isinstance(node, A.Identifier):
        if node.name not in env:
            raise EvalError(f"unknown parameter {node.name!r}")
        return env[node.name]
    if isinstance(node, A.Cond):
        return _eval(node.true_value if _eval(node.cond, env) else node.false_value, env)
    if isinstance(node, A.SystemCall):
        if node.syscall == "clog2":
            v = _eval(node.args[0], env)
            return 0 if v <= 1 else math.ceil(math.log2(v))
        raise EvalError(f"system function ${node.syscall} in a constant expression")
    unary = {"Uminus": lambda a: -a, "Uplus": lambda a: a, "Ulnot": lambda a: int(not a),
             "Unot": lambda a: ~a}
    if t in unary:
        return unary[t](_eval(node.right, env))
    binary = {
        "Plus": lambda a, b: a + b, "Minus": lambda a, b: a - b, "Times": lambda a, b: a * b,
        "Divide": lambda a, b: int(a / b), "Mod": lambda a, b: a % b,
        "Power": lambda a, b: a ** b, "Sll": lambda a, b: a << b, "Srl": lambda a, b: a >> b,
        "Sla": lambda a, b: a << b, "Sra": lambda a, b: a >> b,
        "LessThan": lambda a, b: int(a < b), "GreaterThan": lambda a, b: int(a > b),
        "LessEq": lambda a, b: int(a <= b), "GreaterEq": lambda a, b: int(a >= b),
        "Eq": lambda a, b: int(a == b), "NotEq": lambda a, b: int(a != b),
        "Land": lambda a, b: int(bool(a and b)), "Lor": lambda a, b: int(bool(a or b)),
        "And": lambda a, b: a & b, "Or": lambda a, b: a | b, "Xor": lambda a, b: a ^ b,
    }
    if t in binary:
        return binary[t](_eval(node.left, env), _eval(node.right, env))
    raise EvalError(f"cannot evaluate {t} in a constant expression")


def _int_const(s: str) -> int:
    s = s.replace("_", "")
    if "'" not in s:
        return int(s)
    _, rest = s.split("'", 1)
    rest = rest.lstrip("sS")
    base = {"d": 10, "h": 16, "b": 2, "o": 8}[rest[0].lower()]
    return int(rest[1:], base)


def _width(width, env):
    if width is None:
        return 1
    return abs(_eval(width.msb, env) - _eval(width.lsb, env)) + 1


def parse_file(path, overrides: dict | None = None) -> dict:
    """{module name: ModuleInterface} of one Verilog file; `overrides` sets parameters."""
    import pyverilog.vparser.parser as P
    from pyverilog.vparser import ast as A

    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="sun4v_pyverilog_") as td:
        cp = P.VerilogCodeParser([str(path)], preprocess_output=os.path.join(td, "pp.out"),
                                 outputdir=os.path.dirname(P.__file__), debug=False)
        tree = cp.parse()
    out = {}
    for mod in tree.description.definitions:
        if not isinstance(mod, A.ModuleDef):
            continue
        env, params = {}, {}
        for decl in (mod.paramlist.params if mod.paramlist else ()):
            for p in (decl.list if isinstance(decl, A.Decl) else [decl]):
                if isinstance(p, A.Parameter) and not isinstance(p, A.Localparam):
                    if overrides and p.name in overrides:
                        v = int(overrides[p.name])
                    else:
                        v = _eval(p.value, env)
                    env[p.name] = params[p.name] = v
        # non-ANSI parameters and port declarations in the body
        body_dirs = {}
        for item in mod.items:
            if isinstance(item, A.Decl):
                for d in item.list:
                    if isinstance(d, A.Parameter) and not isinstance(d, A.Localparam):
                        v = overrides[d.name] if overrides and d.name in overrides else _eval(d.value, env)
                        env[d.name] = params[d.name] = int(v)
                    elif isinstance(d, (A.Input, A.Output, A.Inout)):
                        body_dirs[d.name] = (type(d).__name__.lower(), _width(d.width, env))
        ports = {}
        for port in mod.portlist.ports:
            if isinstance(port, A.Ioport):
                d = port.first
                ports[d.name] = (type(d).__name__.lower(), _width(d.width, env))
            elif isinstance(port, A.Port):
                if port.name in body_dirs:
                    ports[port.name] = body_dirs[port.name]
                else:
                    ports[port.name] = ("unknown", _width(port.width, env))
        out[mod.name] = ModuleInterface(mod.name, params, ports)
    return out


def rtl_interfaces(rtl_dir=RTL_DIR) -> dict:
    """{module: ModuleInterface} of every module in rtl_dir/*.v."""
    out = {}
    for f in sorted(Path(rtl_dir).glob("*.v")):
        out.update(parse_file(f))
    return out


def compare(decl: dict, actual: ModuleInterface) -> list[str]:
    """Differences between a unit's declared interface and its RTL, one line each."""
    diffs = []
    if decl["module"] != actual.name:
        diffs.append(f"module name: declared {decl['module']!r}, RTL {actual.name!r}")
    dp, ap = decl["parameters"], actual.parameters
    for k in sorted(set(dp) | set(ap)):
        if k not in ap:
            diffs.append(f"parameter {k}: declared, missing in the RTL")
        elif k not in dp:
            diffs.append(f"parameter {k}: in the RTL ({ap[k]}), not declared")
        elif dp[k] != ap[k]:
            diffs.append(f"parameter {k}: declared default {dp[k]}, RTL {ap[k]}")
    dports, aports = decl["ports"], actual.ports
    for k in sorted(set(dports) | set(aports)):
        if k not in aports:
            diffs.append(f"port {k}: declared {dports[k]}, missing in the RTL")
        elif k not in dports:
            diffs.append(f"port {k}: in the RTL {aports[k]}, not declared")
        elif tuple(dports[k]) != tuple(aports[k]):
            diffs.append(f"port {k}: declared {tuple(dports[k])}, RTL {tuple(aports[k])}")
    if list(dports) != list(aports) and not diffs:
        diffs.append(f"port order: declared {list(dports)}, RTL {list(aports)}")
    return diffs
