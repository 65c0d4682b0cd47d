// ESLint for the page code (templates/**/*.js: browser ES modules) and its tests
// (tests/js: Node's test runner). `npx eslint .` from the repository root.
import js from "@eslint/js";
import globals from "globals";

export default [
  {
    // Only the page code, its tests and this file: virtualenvs and installed packages
    // beside them carry other people's (often minified) JavaScript.
    ignores: ["*", "!templates/", "!tests/", "tests/*", "!tests/js/", "!eslint.config.js"],
  },
  js.configs.recommended,
  {
    files: ["**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
    },
    linterOptions: {
      reportUnusedDisableDirectives: "error",
    },
    rules: {
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
      "no-var": "error",
      "prefer-const": "error",
      eqeqeq: ["error", "always"],
      "no-shadow": "error",
      "no-implicit-globals": "error",
    },
  },
  {
    // The page: a browser, no Node.
    files: ["templates/**/*.js"],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Tests and tools run in Node.
    files: ["tests/js/**/*.js", "eslint.config.js"],
    languageOptions: { globals: { ...globals.node } },
  },
];
