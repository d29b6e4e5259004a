// Copies GraphiQL's and React's browser builds from node_modules (installed from
// package-lock.json by `make graphiql-assets`) into gateway/static/graphiql/vendor, with the
// license text of every package the GraphiQL bundle contains, so the page needs no network.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const target = join(here, "..", "..", "gateway", "static", "graphiql", "vendor");

// Monorepo folders in graphiql's source map, under their published names.
const MONOREPO = {
  "codemirror-graphql": "codemirror-graphql",
  "graphiql-plugin-doc-explorer": "@graphiql/plugin-doc-explorer",
  "graphiql-plugin-history": "@graphiql/plugin-history",
  "graphiql-react": "@graphiql/react",
  "graphiql-toolkit": "@graphiql/toolkit",
  "graphql-language-service": "graphql-language-service",
  src: "graphiql",
};

function manifest(name) {
  return JSON.parse(readFileSync(join(modules, name, "package.json"), "utf8"));
}

function licenseFile(name) {
  const folder = join(modules, name);
  const found = readdirSync(folder).find((file) => /^licen[cs]e(\.md|\.txt)?$/i.test(file));
  return found ? join(folder, found) : null;
}

// Every package whose code the bundle contains, read from the bundle's own source map.
function bundledPackages() {
  const map = JSON.parse(readFileSync(join(modules, "graphiql", "graphiql.min.js.map"), "utf8"));
  const names = new Set(["graphiql"]);
  for (const source of map.sources) {
    const inModules = [...source.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)];
    if (inModules.length > 0) {
      names.add(inModules[inModules.length - 1][1]);
      continue;
    }
    const folder = source.replace(/^(\.\.\/)+/, "").split("/")[0];
    if (!(folder in MONOREPO)) throw new Error(`unknown bundle source ${source}`);
    names.add(MONOREPO[folder]);
  }
  return [...names].sort();
}

const ASSETS = [
  ["graphiql/graphiql.min.js", "graphiql.min.js"],
  ["graphiql/graphiql.min.css", "graphiql.min.css"],
  ["react/umd/react.production.min.js", "react.production.min.js"],
  ["react-dom/umd/react-dom.production.min.js", "react-dom.production.min.js"],
];

rmSync(target, { recursive: true, force: true });
mkdirSync(join(target, "licenses"), { recursive: true });
for (const [from, to] of ASSETS) {
  copyFileSync(join(modules, from), join(target, to));
}
// The source map is not shipped: drop the comment that would make a browser ask for it.
const bundle = join(target, "graphiql.min.js");
writeFileSync(bundle, readFileSync(bundle, "utf8").replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n"));

const lines = [];
const packages = new Set([...bundledPackages(), "react", "react-dom", "scheduler"]);
for (const name of [...packages].sort()) {
  if (!existsSync(join(modules, name, "package.json"))) {
    throw new Error(`${name} is bundled but not installed: add it to package.json for its license`);
  }
  const { version, license } = manifest(name);
  const file = licenseFile(name);
  const copy = file ? `licenses/${name.replace("/", "+")}.LICENSE` : "(the package ships no license file)";
  if (file) copyFileSync(file, join(target, copy));
  lines.push(`${name}\t${version}\t${license}\t${copy}`);
}
writeFileSync(
  join(target, "THIRD_PARTY.tsv"),
  ["package\tinstalled version\tlicense\tlicense text", ...lines, ""].join("\n"),
);
console.log(`copied ${ASSETS.length} assets and ${lines.length} packages' licenses to ${target}`);
