// Parses every .ps1 file of a folder with tree-sitter-powershell and prints, as JSON,
// each file the grammar rejects with the line of its first error.
import Parser from 'tree-sitter';
import PowerShell from 'tree-sitter-powershell';
import fs from 'fs';
import path from 'path';

const dir = process.argv[2];
const parser = new Parser();
parser.setLanguage(PowerShell);

function firstError(node) {
  if (node.isError || node.isMissing) return node;
  for (const child of node.children) {
    const e = firstError(child);
    if (e) return e;
  }
  return null;
}

const rejected = {};
let parsed = 0;
for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.ps1')).sort()) {
  const tree = parser.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
  parsed++;
  if (tree.rootNode.hasError) {
    const e = firstError(tree.rootNode);
    rejected[name] = e ? e.startPosition.row + 1 : 0;
  }
}
console.log(JSON.stringify({ parsed, rejected }));
