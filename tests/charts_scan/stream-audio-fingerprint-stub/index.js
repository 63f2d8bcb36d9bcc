// Empty stand-in: scan-chart 7.0.1's dist/index.js never requires "stream-audio-fingerprint"
// (its audio scan only checks file names). Loading this says so loudly instead of failing later.
throw new Error("stream-audio-fingerprint is stubbed out for drumscribe's scan-chart tests");
