import { render } from 'preact';
import { App } from './App';
import { installLinkHandler } from './lib/router';
import './styles.css';

installLinkHandler();
render(<App />, document.getElementById('app')!);
