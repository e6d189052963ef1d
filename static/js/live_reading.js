// What the generate page shows of a live reading besides its label (static/js/generate.js calls these):
//
// The bars of a calibrated reading, sharpened. Read against the person's resting face (ml/calibration.py),
// each probability is divided by its resting one and neutral gets a fixed bonus, so the resting face itself
// comes out as neutral 31% and the six others 11% each (e / (e + 6)): the clearest "at rest" calibration can
// say, which looked unsure (issue 50). The bars therefore show each calibrated share raised to the power
// CALIBRATED_SHARPNESS and the seven renormalised (a softmax at temperature 1/3): the order, and so the
// label, is unchanged; at rest neutral shows 77% and the others 4% each; an emotion twice as likely as
// another shows 8 times as likely. Uncalibrated readings are the model's own probabilities, shown as they are.
//
// The avatar's head tilt. /api/emotion gives each face's `roll`: degrees, clockwise in the picture sent. The
// page shows that picture mirrored (a front camera is seen like a mirror), which turns a clockwise lean
// counter-clockwise, so the avatar turns by −roll to lean as the person sees themselves: degrees clockwise on
// screen (a CSS rotate), smoothed like the label (the mean over the same frames) and clamped to ±30°. A server
// that gives no roll leaves the avatar upright.
(function () {
  "use strict";
  const CALIBRATED_SHARPNESS = 3;
  const MAX_TILT_DEGREES = 30;

  // The shares the bars show: { emotion: share } summing to 1.
  function shownShares(probabilities, calibrated) {
    if (!calibrated) return probabilities;
    const powered = Object.entries(probabilities).map(([emotion, p]) => [emotion, p ** CALIBRATED_SHARPNESS]);
    const total = powered.reduce((sum, [, value]) => sum + value, 0);
    return Object.fromEntries(powered.map(([emotion, value]) => [emotion, total > 0 ? value / total : 0]));
  }

  // The avatar's tilt on screen (degrees clockwise, one decimal) for the rolls of the frames the label is the
  // mean of, or null where none of them has a roll.
  function screenTilt(rolls) {
    const known = rolls.filter((roll) => typeof roll === "number" && Number.isFinite(roll));
    if (!known.length) return null;
    const mirrored = -known.reduce((sum, roll) => sum + roll, 0) / known.length;
    const clamped = Math.max(-MAX_TILT_DEGREES, Math.min(MAX_TILT_DEGREES, mirrored));
    return Math.round(clamped * 10) / 10 || 0;  // no -0
  }

  // Turns the avatar's picture (site.css reads --tilt); null: upright.
  function showTilt(element, degrees) {
    element.style.setProperty("--tilt", `${degrees || 0}deg`);
    element.dataset.tilt = degrees || 0;
  }

  window.emojifyLiveReading = { shownShares, screenTilt, showTilt };
})();
