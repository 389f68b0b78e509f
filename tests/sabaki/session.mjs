// Drives `tengen gtp` with Sabaki's own GTP library (@sabaki/gtp, the SabakiHQ/gtp package that
// Sabaki bundles), sending what Sabaki sends in the order it sends it (clients.md section 1a) and
// parsing the analysis the way Sabaki parses it (clients.md section 2).
//
//   node session.mjs --engine PATH/tengen --model NET.bin.gz [-v]
//
// $TENGEN_WRAPPER, if set, goes in front of the engine (split on whitespace), as in gtplib.py.
// Exit status: 0 = every check passed, 1 = a check failed, 2 = bad usage.

import gtp from '@sabaki/gtp'

const {Controller, ControllerStateTracker, Command} = gtp

// ------------------------------------------------------------------ arguments

let enginePath = null
let modelPath = null
let verbose = false
for (let i = 2; i < process.argv.length; i++) {
  let a = process.argv[i]
  if (a === '--engine') enginePath = process.argv[++i]
  else if (a === '--model') modelPath = process.argv[++i]
  else if (a === '-v' || a === '--verbose') verbose = true
  else {
    console.error(`sabaki_client: unknown argument ${a}`)
    process.exit(2)
  }
}
if (!enginePath || !modelPath) {
  console.error('usage: node session.mjs --engine PATH --model FILE [-v]')
  process.exit(2)
}

const TOTAL_LIMIT_MS = 60000
const t0 = Date.now()
const elapsed = () => ((Date.now() - t0) / 1000).toFixed(2) + 's'
const log = msg => console.log(`[${elapsed()}] ${msg}`)

// ------------------------------------------------------------------ engine and bookkeeping

let wrapper = (process.env.TENGEN_WRAPPER || '').split(/\s+/).filter(x => x.length > 0)
let engineArgs = ['gtp', '-model', modelPath, '-override-config', 'maxVisits=40,numSearchThreads=1']
let controller = wrapper.length > 0
  ? new Controller(wrapper[0], [...wrapper.slice(1), enginePath, ...engineArgs])
  : new Controller(enginePath, engineArgs)
let tracker = new ControllerStateTracker(controller)

let stderrLines = []
let transcript = []        // {t, dir: '>'|'<', text} in the order the library saw them
let sentLog = []           // command strings as written, in order
let errorReplies = []      // every '?' reply, with its command
let exitInfo = null        // {code, signal, t}

controller.on('stderr', ({content}) => stderrLines.push(content))
controller.on('command-sent', ({command}) => {
  let s = Command.toString(command)
  sentLog.push(s)
  transcript.push({t: elapsed(), dir: '>', text: s})
  if (verbose) log(`> ${s}`)
})
controller.on('response-received', ({command, response}) => {
  let s = (response.error ? '?' : '=') + ' ' + response.content
  transcript.push({t: elapsed(), dir: '<', text: s})
  if (verbose) log(`< ${s.length > 200 ? s.slice(0, 200) + '...' : s}`)
  if (response.error) errorReplies.push(`${Command.toString(command)} -> ? ${response.content}`)
})
controller.on('started', () => {
  controller.process.once('exit', (code, signal) => {
    exitInfo = {code, signal, t: Date.now()}
  })
})

let failed = false
function fail(msg) {
  if (failed) return
  failed = true
  console.error(`sabaki_client: FAIL: ${msg}`)
  console.error('---- last commands and replies:')
  for (let e of transcript.slice(-25)) {
    let s = e.text.length > 300 ? e.text.slice(0, 300) + '...' : e.text
    console.error(`  [${e.t}] ${e.dir} ${s.replace(/\n/g, '\n      ')}`)
  }
  console.error('---- engine stderr (last 30 lines):')
  for (let l of stderrLines.slice(-30)) console.error(`  ${l}`)
  if (controller.process != null) controller.process.kill('SIGKILL')
  process.exit(1)
}
function check(cond, msg) {
  if (!cond) fail(msg)
}
async function within(ms, promise, what) {
  let timer
  let timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

let watchdog = setTimeout(() => fail(`the whole session took longer than ${TOTAL_LIMIT_MS / 1000} s`),
  TOTAL_LIMIT_MS)

// ------------------------------------------------------------------ board helpers (9x9)

const SIZE = 9
const LETTERS = 'ABCDEFGHJ'
function parseVertex(v) {            // like Sabaki's board.parseVertex, for a 9x9 board
  let m = /^([A-HJ])([1-9])$/i.exec(v)
  if (m == null) return null
  let x = LETTERS.indexOf(m[1].toUpperCase())
  let y = SIZE - +m[2]
  return x >= 0 && y >= 0 && y < SIZE ? [x, y] : null
}

// The engine's position, read from showboard (not something Sabaki sends; used only to check
// that the pipelined play/undo really left the position Sabaki believes it has).
async function engineBoard() {
  let res = await within(5000, controller.sendCommand({name: 'showboard'}), 'showboard')
  check(!res.error, `showboard failed: ${res.content}`)
  let lines = res.content.split('\n')
  let header = lines.findIndex(l => /^\s*A B C D E F G H J\s*$/.test(l))
  check(header >= 0, `showboard: no column header for a 9x9 board in:\n${res.content}`)
  let stones = {}
  for (let r = 1; r <= SIZE; r++) {
    // KataGo's layout: 'NN ' then one 2-character cell per column, the stone first (X1 marks a recent move).
    let m = /^\s*(\d+) (.*)$/.exec(lines[header + r] || '')
    check(m && +m[1] === SIZE + 1 - r, `showboard: row ${SIZE + 1 - r} missing in:\n${res.content}`)
    for (let i = 0; i < SIZE; i++) {
      let ch = m[2][2 * i]
      if (ch === 'X' || ch === 'O') stones[`${LETTERS[i]}${SIZE + 1 - r}`] = ch === 'X' ? 'B' : 'W'
    }
  }
  return stones
}

function expectedStones(history) {     // no captures happen in the game below
  let stones = {}
  for (let {args: [color, vertex]} of history) if (vertex !== 'PASS') stones[vertex] = color
  return stones
}

async function checkPosition(history, what) {
  let got = await engineBoard()
  let want = expectedStones(history)
  let fmt = s => Object.keys(s).sort().map(k => `${s[k]}${k}`).join(' ')
  check(fmt(got) === fmt(want), `${what}: engine position ${fmt(got)}, Sabaki expects ${fmt(want)}`)
}

// Sabaki's parser for one streamed analysis line (sabaki.js analyzeMove + clients.md section 2).
// Returns the list of candidate moves, failing on anything Sabaki would drop or misread.
const PV_RE = /(pass|[A-Za-z]\d+)(\s+(pass|[A-Za-z]\d+))*$/
function parseAnalysisLine(line, occupied) {
  let segments = line.split(/\s*info\s+/).slice(1).map(x => x.trim())
  check(segments.length >= 1, `analysis line without an info segment: ${line}`)
  return segments.map(seg => {
    let m = PV_RE.exec(seg)
    check(m != null, `info segment whose end is not a PV (Sabaki drops it): ${seg}`)
    let pv = m[0].split(/\s+/)
    let tokens = seg.slice(0, m.index).trim().split(/\s+/)
    check(tokens[tokens.length - 1] === 'pv', `info segment: 'pv' does not come right before the PV: ${seg}`)
    tokens.pop()
    check(tokens.length % 2 === 0, `info segment: keys and values do not pair up before pv: ${seg}`)
    let info = {}
    for (let i = 0; i < tokens.length; i += 2) info[tokens[i]] = tokens[i + 1]
    check(info.move != null, `info segment without move (Sabaki skips it): ${seg}`)
    check(info.winrate != null, `info segment without winrate (Sabaki skips it): ${seg}`)
    check(info.visits != null, `info segment without visits: ${seg}`)
    let move = info.move
    let visits = parseInt(info.visits, 10)
    let winrate = parseFloat(info.winrate)   // kata-* means a 0-1 float for Sabaki
    check(String(visits) === info.visits && visits >= 1, `visits is not a positive integer: ${info.visits}`)
    check(Number.isFinite(winrate) && winrate >= 0 && winrate <= 1,
      `winrate ${info.winrate} is not a float in [0,1] (Sabaki reads kata-analyze winrates as 0-1)`)
    if (info.scoreLead != null)
      check(Number.isFinite(parseFloat(info.scoreLead)), `scoreLead is not a number: ${info.scoreLead}`)
    check(move === 'pass' || parseVertex(move) != null, `move ${move} is not a 9x9 vertex`)
    check(move === 'pass' || !occupied[move.toUpperCase()], `candidate move ${move} is on an occupied point`)
    check(pv[0].toUpperCase() === move.toUpperCase(), `PV ${pv.join(' ')} does not start with the move ${move}`)
    for (let v of pv) check(v === 'pass' || parseVertex(v) != null, `PV vertex ${v} is not on the 9x9 board`)
    return {move, visits, winrate, pv}
  })
}

// ------------------------------------------------------------------ the session

const timings = {}
async function step(name, fn) {
  let start = Date.now()
  try {
    await fn()
  } catch (err) {
    fail(`${name}: ${err && err.message ? err.message : err}`)
  }
  timings[name] = Date.now() - start
  log(`ok: ${name} (${timings[name]} ms)`)
}

const play = s => Command.fromString(`play ${s}`)

await step('startup burst (name, version, protocol_version, list_commands at once)', async () => {
  controller.start()
  // enginesyncer.js: Promise.all over the four commands, all written before any reply is read.
  let [name, version, protocolVersion, listCommands] = await within(30000, Promise.all(
    ['name', 'version', 'protocol_version', 'list_commands'].map(n => controller.sendCommand({name: n}))
  ), 'startup replies (engine start and network load)')
  check(sentLog.slice(0, 4).join('|') === 'name|version|protocol_version|list_commands',
    `startup commands went out as ${sentLog.slice(0, 4).join(', ')}`)
  check(!name.error && name.content.length > 0, `name: ${name.error ? '? ' : ''}${name.content}`)
  check(/^(KataGo|tengen)/.test(name.content), `name '${name.content}' is neither KataGo nor tengen`)
  check(!version.error && version.content.length > 0, `version: ${version.content}`)
  check(!/\s/.test(version.content), `version '${version.content}' has whitespace in it`)
  if (name.content === 'KataGo')
    check(/^1\.(\d+)\./.test(version.content) && +/^1\.(\d+)/.exec(version.content)[1] > 10,
      `name KataGo but version '${version.content}' does not look like 1.N with N > 10`)
  check(!protocolVersion.error && protocolVersion.content === '2', `protocol_version: '${protocolVersion.content}'`)
  check(!listCommands.error, `list_commands: ${listCommands.content}`)
  let commands = listCommands.content.split('\n')   // Sabaki: one command name per line
  for (let c of commands) check(/^[\w-]+$/.test(c), `list_commands line '${c}' is not one command name`)
  for (let c of ['kata-analyze', 'kata-genmove_analyze', 'undo', 'set_free_handicap', 'rectangular_boardsize',
    'komi', 'boardsize', 'clear_board', 'play', 'protocol_version'])
    check(commands.includes(c), `list_commands does not list ${c}`)
  // Sabaki takes the first of these that is listed; KataGo hides analyze / genmove_analyze.
  let analyzeCmd = ['analyze', 'kata-analyze', 'lz-analyze'].find(c => commands.includes(c))
  let genmoveCmd = ['genmove_analyze', 'kata-genmove_analyze', 'lz-genmove_analyze'].find(c => commands.includes(c))
  check(analyzeCmd === 'kata-analyze', `Sabaki would pick '${analyzeCmd}' for analysis, not kata-analyze`)
  check(genmoveCmd === 'kata-genmove_analyze', `Sabaki would pick '${genmoveCmd}' for genmove, not kata-genmove_analyze`)
  check(await tracker.knowsCommand('undo'), 'the state tracker does not know undo from list_commands')
  log(`engine: ${name.content} ${version.content}, ${commands.length} commands`)
})

// The game: no captures, so the expected position is just the stones played.
const game1 = ['B E5', 'W C3', 'B G7', 'W C7', 'B G3', 'W E3'].map(play)
const game2 = [...game1.slice(0, 4), ...['B C5', 'W G5'].map(play)]
const game3 = [...game2, play('B E7')]

await step('sync: komi 6.5, boardsize 9, clear_board, pipelined plays', async () => {
  let from = sentLog.length
  await within(10000, tracker.sync({komi: 6.5, boardsize: [9, 9], history: game1}), 'first sync')
  let sent = sentLog.slice(from)
  let want = ['komi 6.5', 'boardsize 9', 'clear_board', ...game1.map(c => Command.toString(c))]
  check(sent.join('|') === want.join('|'), `sync sent ${JSON.stringify(sent)}, expected ${JSON.stringify(want)}`)
  // The library pipelines clear_board and the plays: all written before the first of their replies.
  let clear = transcript.findIndex(e => e.dir === '>' && e.text === 'clear_board')
  let firstReply = transcript.findIndex((e, i) => i > clear && e.dir === '<')
  let writtenBefore = transcript.slice(clear, firstReply).filter(e => e.dir === '>' && e.text.startsWith('play')).length
  check(writtenBefore === game1.length, `only ${writtenBefore} of ${game1.length} plays were written before the first reply`)
  check(errorReplies.length === 0, `error replies during sync: ${errorReplies.join('; ')}`)
  check(tracker.state.komi === 6.5, `tracker komi ${tracker.state.komi}`)
  check(tracker.state.history != null && tracker.state.history.length === game1.length,
    `tracker history has ${tracker.state.history && tracker.state.history.length} moves`)
  await checkPosition(game1, 'after the first sync')
})

await step('sync: back 2 moves and a new branch (pipelined undo, undo, play, play)', async () => {
  let from = sentLog.length
  await within(10000, tracker.sync({komi: 6.5, boardsize: [9, 9], history: game2}), 'undo sync')
  let sent = sentLog.slice(from)
  let want = ['undo', 'undo', 'play B C5', 'play W G5']
  check(sent.join('|') === want.join('|'), `sync sent ${JSON.stringify(sent)}, expected ${JSON.stringify(want)}`)
  check(errorReplies.length === 0, `error replies during sync: ${errorReplies.join('; ')}`)
  await checkPosition(game2, 'after undo x2 and the replays')
})

let analysisStats = null
await step('kata-analyze B 50, stopped by protocol_version', async () => {
  let occupied = expectedStones(game2)
  let lines = []
  let nonInfo = []
  let parsed = []
  let gotTwo
  let twoInfos = new Promise(resolve => (gotTwo = resolve))
  let tStart = Date.now()
  let analysis = controller.sendCommand({name: 'kata-analyze', args: ['B', '50']}, ({line, end}) => {
    lines.push(line)
    if (end) return
    if (line.startsWith('info ')) {
      parsed.push(parseAnalysisLine(line, occupied))
      if (parsed.length >= 2) gotTwo()
    } else if (lines.length > 1) {
      nonInfo.push(line)
    }
  })
  analysis.catch(() => {})
  await within(10000, twoInfos, 'two info lines from kata-analyze B 50')
  let tTwo = Date.now()
  check(lines[0].trim() === '=', `the analysis reply starts with '${lines[0]}', not a bare '=' header line`)
  check(controller.busy, 'the controller is not busy while the analysis runs')
  // enginesyncer.js sendAbort(): protocol_version while busy.
  let tAbort = Date.now()
  let abort = controller.sendCommand({name: 'protocol_version'})
  let res = await within(5000, analysis, 'the analysis reply to end (blank line) after protocol_version')
  let tEnded = Date.now()
  check(!res.error, `kata-analyze replied with an error: ${res.content}`)
  check(lines[lines.length - 1] === '', 'the analysis reply did not end with a blank line')
  // A missing blank line makes Sabaki read protocol_version's '= 2' as part of the analysis.
  check(nonInfo.length === 0, `lines other than info inside the analysis reply: ${JSON.stringify(nonInfo.slice(0, 3))}`)
  let pv = await within(5000, abort, 'the reply to protocol_version after the analysis')
  check(!pv.error && pv.content === '2', `protocol_version after the analysis answered '${pv.content}'`)
  let best = parsed[parsed.length - 1][0]
  analysisStats = {
    infoLines: parsed.length,
    firstTwoMs: tTwo - tStart,
    stopMs: tEnded - tAbort,
    best: `${best.move} visits ${best.visits} winrate ${best.winrate} pv ${best.pv.join(' ')}`
  }
  check(analysisStats.stopMs < 2000, `the analysis took ${analysisStats.stopMs} ms to stop`)
  log(`analysis: ${parsed.length} info lines, first two after ${analysisStats.firstTwoMs} ms, ` +
    `stopped in ${analysisStats.stopMs} ms; best ${analysisStats.best}`)
})

let generated = null
await step('sync B E7, then kata-genmove_analyze W 50', async () => {
  let from = sentLog.length
  await within(10000, tracker.sync({komi: 6.5, boardsize: [9, 9], history: game3}), 'one-move sync')
  let sent = sentLog.slice(from)
  check(sent.join('|') === 'play B E7', `sync sent ${JSON.stringify(sent)}, expected just play B E7`)
  let playLines = []
  let infoLines = 0
  // sabaki.js generateMove: the move is the line matching ^play (.*)$.
  let res = await within(20000, tracker.queueCommand({name: 'kata-genmove_analyze', args: ['W', '50']}, ({line}) => {
    let m = line.trim().match(/^play (.*)$/)
    if (m) playLines.push(m[1])
    else if (line.startsWith('info ')) infoLines++
  }), 'kata-genmove_analyze W 50')
  check(!res.error, `kata-genmove_analyze: ? ${res.content}`)
  check(playLines.length === 1, `expected one 'play <vertex>' line, got ${playLines.length}: ${res.content.slice(-200)}`)
  generated = playLines[0].trim().toLowerCase()   // Sabaki lowercases and trims
  check(generated === 'pass' || generated === 'resign' || parseVertex(generated) != null,
    `genmove answered '${playLines[0]}', not a vertex, pass or resign`)
  check(generated === 'pass' || generated === 'resign' || !expectedStones(game3)[generated.toUpperCase()],
    `genmove played on the occupied point ${generated}`)
  check(res.content.trim().split('\n').pop().startsWith('play '), 'the play line is not the last line of the reply')
  log(`genmove: W ${generated} after ${infoLines} info lines`)
  // The tracker appended the generated move; syncing the same game again must send nothing.
  let game4 = generated === 'resign' ? game3 : [...game3, play(`W ${generated.toUpperCase()}`)]
  let h = tracker.state.history.map(c => Command.toString(c))
  check(h.join('|') === game4.map(c => Command.toString(c)).join('|'), `tracker history after genmove: ${h.join(', ')}`)
  from = sentLog.length
  await within(10000, tracker.sync({komi: 6.5, boardsize: [9, 9], history: game4}), 'sync after genmove')
  check(sentLog.length === from, `a sync with nothing new sent ${JSON.stringify(sentLog.slice(from))}`)
  await checkPosition(game4, 'after genmove')
})

await step('quit: the engine exits within 3 s', async () => {
  let tQuit = Date.now()
  // Controller.stop: sends quit, kills the process after 3000 ms.
  await within(6000, controller.stop(3000), 'the engine to stop')
  check(exitInfo != null, 'no exit status from the engine process')
  let ms = exitInfo.t - tQuit
  check(exitInfo.signal == null, `the engine did not exit by itself within 3 s after quit (killed by ${exitInfo.signal})`)
  check(exitInfo.code === 0, `the engine exited with status ${exitInfo.code} after quit`)
  check(ms < 3000, `the engine took ${ms} ms to exit after quit`)
  log(`quit: exit status 0 after ${ms} ms`)
})

clearTimeout(watchdog)
check(errorReplies.length === 0, `error replies: ${errorReplies.join('; ')}`)
let sanitizer = stderrLines.find(l => /AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:/.test(l))
check(sanitizer == null, `sanitizer report on the engine's stderr: ${sanitizer}`)
log(`PASS: ${sentLog.length} commands, total ${elapsed()}`)
