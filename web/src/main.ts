import { mount } from 'svelte';
import 'uplot/dist/uPlot.min.css';
import './app.css';
import App from './App.svelte';
import { initTheme } from './lib/theme.svelte';

initTheme(); // before mount: the first paint already has the right theme

const target = document.getElementById('app');
if (!target) throw new Error('connlab: #app element missing from index.html');

export default mount(App, { target });
