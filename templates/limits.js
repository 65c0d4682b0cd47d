// Generated from ipyanimagic/limits.py by tools/generated.py.
// Do not edit: the Python module is the one source of these values.
export const LIMITS = Object.freeze({
  "assumedRttMs": 20,
  "formats": [
    "png",
    "jpeg"
  ],
  "fpsMax": 240.0,
  "fpsMin": 0.1,
  "frameTimeoutMs": 120000,
  "livePollMs": 10000,
  "loopModes": [
    "once",
    "loop",
    "reflect"
  ],
  "maxBatch": 8,
  "maxKeep": 32,
  "maxWindow": 4,
  "mime": {
    "jpeg": "image/jpeg",
    "png": "image/png"
  },
  "minWindow": 2,
  "playerFormats": [
    "auto",
    "png",
    "jpeg"
  ],
  "scaleMax": 4.0,
  "scaleMin": 0.25,
  "slowMs": 1000,
  "spare": 1.5
});
