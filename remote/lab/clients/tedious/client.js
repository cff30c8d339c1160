// Drives a lab instance with tedious: login, a batch, RPCs with typed parameters,
// prepare and execute. Every step prints one line, "<step> ok <json>" or
// "<step> error <number> <message>", so the Go test reads what a real driver saw.
//
// usage: node client.js HOST PORT USER PASSWORD_VAR DOMAIN CA_FILE ECHO_OP
// DOMAIN "" means a SQL login, anything else an NTLM login. The password comes
// from the environment variable PASSWORD_VAR; TEDIOUS_TDS_VERSION (e.g. 7_1)
// picks the TDS version tedious asks for, 7_4 by default.
'use strict';
const fs = require('fs');
const { Connection, Request, TYPES } = require('tedious');

const [host, port, user, pwVar, domain, caFile, echoOp] = process.argv.slice(2);
const authentication = domain
  ? { type: 'ntlm', options: { userName: user, password: process.env[pwVar], domain } }
  : { type: 'default', options: { userName: user, password: process.env[pwVar] } };
const conn = new Connection({
  server: host,
  authentication,
  options: {
    port: Number(port),
    encrypt: true,
    trustServerCertificate: false,
    cryptoCredentialsDetails: { ca: fs.readFileSync(caFile) },
    database: 'master',
    tdsVersion: process.env.TEDIOUS_TDS_VERSION || '7_4',
    connectTimeout: 20000,
    requestTimeout: 20000,
  },
});

// lastServerError is the number of the last ERROR token, which a failed login's
// ConnectionError does not carry.
let lastServerError = 0;
conn.on('errorMessage', (m) => { lastServerError = m.number; });

function report(step, err, rows) {
  if (err) {
    const inner = err.errors ? err.errors[0] : err;
    console.log(`${step} error ${inner.number || lastServerError} ${inner.message}`);
  } else {
    console.log(`${step} ok ${JSON.stringify(rows)}`);
  }
}

// run executes a request and resolves with its rows (column name -> value).
function run(make) {
  return new Promise((resolve) => {
    const rows = [];
    const req = make((err) => resolve({ err, rows }));
    req.on('row', (cols) => {
      const row = {};
      for (const c of cols) row[c.metadata.colName] = c.value;
      rows.push(row);
    });
    return req;
  });
}

async function main() {
  const loginErr = await new Promise((resolve) => conn.connect(resolve));
  report('login', loginErr, []);
  if (loginErr) return;
  let r = await run((done) => { const q = new Request('SELECT 1', done); conn.execSqlBatch(q); return q; });
  report('batch', r.err, r.rows);

  const stmt = `/* ssisha-op: ${echoOp} */ SELECT @name, @amount, @price, @at`;
  r = await run((done) => {
    const q = new Request(stmt, done);
    q.addParameter('name', TYPES.VarChar, 'café');
    q.addParameter('amount', TYPES.Decimal, 1234.5678, { precision: 18, scale: 4 });
    q.addParameter('price', TYPES.Money, 19.5);
    q.addParameter('at', TYPES.DateTime, new Date(Date.UTC(2026, 0, 2, 3, 4, 5)));
    conn.execSql(q);
    return q;
  });
  report('rpc', r.err, r.rows);

  // One request prepared once and executed: tedious calls its callback after each.
  let onDone;
  let rows = [];
  const prepared = new Request(`/* ssisha-op: ${echoOp} */ SELECT @n`, (err) => onDone(err));
  prepared.addParameter('n', TYPES.Int);
  prepared.on('row', (cols) => {
    const row = {};
    for (const c of cols) row[c.metadata.colName] = c.value;
    rows.push(row);
  });
  // tedious ends a prepare with a 'prepared' or 'error' event, not the callback.
  const prepErr = await new Promise((resolve) => {
    prepared.once('prepared', () => resolve(null));
    prepared.once('error', resolve);
    conn.prepare(prepared);
  });
  report('prepare', prepErr, prepared.handle === undefined ? [] : [{ handle: prepared.handle }]);
  if (!prepErr) {
    rows = [];
    const execErr = await new Promise((resolve) => { onDone = resolve; conn.execute(prepared, { n: 42 }); });
    report('execute', execErr, rows);
  }
}

main().catch((e) => report('crash', e, [])).finally(() => conn.close());
