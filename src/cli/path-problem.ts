/** The words for a path that cannot be used live in util (the batch and output layers say them too). */
export { dirProblem, notRereadable, pathProblem, readProblem, unreadableReason } from '../util/path-words.js';
