// Tests run from the compiled tree (tsc → dist/). SWARMD_DIST lets a second build directory run its own
// tests while dist/ is being rebuilt by someone else.
const dist = process.env.SWARMD_DIST ?? 'dist';

export default {
  files: [`${dist}/**/*.test.js`],
  timeout: '2m',
  concurrency: 2,
  workerThreads: false,
};
