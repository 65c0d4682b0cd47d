// Generated from ipyanimagic/limits.py by tools/generated.py.
// Do not edit: the Python module is the one source of these values.
export const LIMITS = Object.freeze({
  "adapt": {
    "behind": 0.9,
    "ceilingMs": 6000,
    "downMs": 750,
    "fit": 0.9,
    "goodputWindowMs": 2000,
    "inflightMarginMs": 100,
    "kernelBusy": 0.8,
    "minInflightFrames": 2,
    "rttFloorWindowMs": 5000,
    "scaleExponent": 1.6,
    "shownWindowMs": 1000,
    "sizeExponent": 0.7,
    "upMargin": 1.25,
    "upMs": 2500,
    "warmupMs": 1000
  },
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
  "playLadder": [
    [
      85,
      1.0
    ],
    [
      70,
      1.0
    ],
    [
      55,
      1.0
    ],
    [
      55,
      0.75
    ],
    [
      55,
      0.5
    ],
    [
      40,
      0.5
    ],
    [
      30,
      0.5
    ]
  ],
  "playerFormats": [
    "auto",
    "png",
    "jpeg"
  ],
  "qualityMax": 100,
  "qualityMin": 1,
  "scaleMax": 4.0,
  "scaleMin": 0.25,
  "slowMs": 1000,
  "spare": 1.5
});
