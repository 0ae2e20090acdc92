// Short screens (a 1280×720 projector): the components that need pixel sizes
// in script (uPlot charts take a number) pick smaller ones. The CSS uses the
// same breakpoint: @media (max-height: 820px).

import { MediaQuery } from 'svelte/reactivity';

/** The short-screen breakpoint, as in the components' CSS. */
export const SHORT_SCREEN = '(max-height: 820px)';

/** True on a short screen; reactive. */
export const shortScreen = new MediaQuery(SHORT_SCREEN);
