#!/usr/bin/env node
// Scan song folders with scan-chart (the scanner Clone Hero's chart sites run on uploads) and
// print one JSON object: {"<folder>": {issues, summary}} for each folder given.
//
// Usage: node scan.cjs FOLDER [FOLDER ...]
//
// scan-chart's git-hosted dependency "stream-audio-fingerprint" is replaced by an empty
// stand-in (package.json "overrides"): scan-chart 7.0.1's built code never loads it (its
// audio scan only checks file names), and the git host is not reachable offline.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { scanChartFolder, parseChartFile } = require("scan-chart");

function scan(folder) {
  const files = fs
    .readdirSync(folder, { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => ({ fileName: e.name, data: new Uint8Array(fs.readFileSync(path.join(folder, e.name))) }));
  const chart = scanChartFolder(files, { includeMd5: false, includeBChart: false });
  const issues = [];
  for (const i of chart.folderIssues) issues.push({ kind: "folder", type: i.folderIssue, description: i.description });
  for (const i of chart.metadataIssues) issues.push({ kind: "metadata", type: i.metadataIssue, description: i.description });
  const notes = chart.notesData;
  if (notes) {
    for (const i of notes.chartIssues) {
      issues.push({
        kind: "chart",
        type: i.noteIssue,
        instrument: i.instrument,
        difficulty: i.difficulty,
        description: i.description,
      });
    }
  }
  const summary = {
    playable: chart.playable,
    name: chart.name,
    artist: chart.artist,
    genre: chart.genre,
    song_length: chart.song_length,
    diff_drums: chart.diff_drums,
    preview_start_time: chart.preview_start_time,
    drumType: notes ? notes.drumType : null,
    noteCounts: notes ? notes.noteCounts : [],
    tempoMarkerCount: notes ? notes.tempoMarkerCount : 0,
    effectiveLength: notes ? notes.effectiveLength : 0,
  };
  // sections, star power and activation lanes as the games read them
  const chartFile = files.find((f) => f.fileName === "notes.chart" || f.fileName === "notes.mid");
  if (chartFile) {
    try {
      const parsed = parseChartFile(chartFile.data, chartFile.fileName.endsWith(".mid") ? "mid" : "chart", {
        pro_drums: true,
      });
      summary.sections = parsed.sections.map((s) => ({ name: s.name, msTime: s.msTime }));
      summary.tempos = parsed.tempos.map((t) => ({ tick: t.tick, bpm: t.beatsPerMinute, msTime: t.msTime }));
      summary.endEvents = parsed.endEvents.map((e) => e.msTime);
      summary.tracks = parsed.trackData.map((t) => ({
        instrument: t.instrument,
        difficulty: t.difficulty,
        firstNoteMs: t.noteEventGroups.length ? t.noteEventGroups[0][0].msTime : null,
        starPower: t.starPowerSections.length,
        activationLanes: t.drumFreestyleSections.length,
      }));
    } catch (err) {
      summary.parseError = String(err);
    }
  }
  return { issues, summary };
}

const folders = process.argv.slice(2);
if (folders.length === 0) {
  process.stderr.write("usage: node scan.cjs FOLDER [FOLDER ...]\n");
  process.exit(2);
}
const out = {};
for (const folder of folders) out[folder] = scan(folder);
process.stdout.write(JSON.stringify(out, null, 1) + "\n");
