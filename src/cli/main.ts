/** The `lifeline` command line. */
console.log('lifeline __LIFELINE_VERSION__');
