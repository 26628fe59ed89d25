#!/usr/bin/env node
// Compile executor/contracts/*.sol (production) and localstack/contracts/*.sol (test-only)
// with the pinned solc-js (standard JSON, optimizer 200 runs)
// into build/contracts/<ContractName>.json = {"abi": [...], "bytecode": "0x..."}.
// Exits non-zero and prints the compiler errors when compilation fails.
"use strict";

const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const srcDirs = [path.join(root, "executor", "contracts"), path.join(root, "localstack", "contracts")];
const outDir = path.join(root, "build", "contracts");

let solc;
try {
  solc = require(path.join(root, "node_modules", "solc"));
} catch (err) {
  console.error("compile_contracts: solc-js not found; run `npm ci` in the checkout (" + err.message + ")");
  process.exit(2);
}

const sources = {};
for (const dir of srcDirs) {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".sol")).sort();
  if (files.length === 0) {
    console.error("compile_contracts: no .sol files in " + dir);
    process.exit(2);
  }
  for (const f of files) {
    if (sources[f]) {
      console.error("compile_contracts: two sources named " + f);
      process.exit(2);
    }
    sources[f] = { content: fs.readFileSync(path.join(dir, f), "utf8") };
  }
}

const input = {
  language: "Solidity",
  sources,
  settings: {
    optimizer: { enabled: true, runs: 200 },
    // Cancun: supported by Anvil and by every chain the project models (no Prague-only opcodes).
    evmVersion: "cancun",
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
  },
};

const output = JSON.parse(solc.compile(JSON.stringify(input)));
const diagnostics = output.errors || [];
const errors = diagnostics.filter((e) => e.severity === "error");
for (const w of diagnostics.filter((e) => e.severity !== "error")) {
  console.warn(w.formattedMessage || w.message);
}
if (errors.length > 0) {
  for (const e of errors) console.error(e.formattedMessage || e.message);
  console.error(`compile_contracts: ${errors.length} error(s) with solc ${solc.version()}`);
  process.exit(1);
}

fs.mkdirSync(outDir, { recursive: true });
let written = 0;
for (const [file, contracts] of Object.entries(output.contracts || {})) {
  for (const [name, c] of Object.entries(contracts)) {
    const bytecode = c.evm.bytecode.object;
    if (!bytecode) continue; // interfaces and abstract contracts
    const artifact = {
      contractName: name,
      sourceName: file,
      compiler: solc.version(),
      abi: c.abi,
      bytecode: "0x" + bytecode,
      deployedBytecode: "0x" + c.evm.deployedBytecode.object,
    };
    fs.writeFileSync(path.join(outDir, name + ".json"), JSON.stringify(artifact, null, 2) + "\n");
    written += 1;
    console.log(`compiled ${file}:${name} (${bytecode.length / 2} bytes)`);
  }
}
console.log(`compile_contracts: wrote ${written} artifact(s) to ${path.relative(root, outDir)}`);
