import uPlot from 'uplot';

/**
 * The range of an axis of counts or shares: from 0, to a little above the highest value. uPlot's own
 * range hugs the data: a histogram whose bins hold 100 and 101 answers ran from 100 to 101, and
 * every bin of 100 was drawn empty. A bar's height must be its count.
 */
export const fromZero: uPlot.Range.Function = (_u, _min, max) => uPlot.rangeNum(0, max > 0 ? max : 1, 0.1, true);
