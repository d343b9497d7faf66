// As in main.tsx: the shared DTOs' decorators need the Reflect metadata API.
import 'reflect-metadata';

// jsdom knows <dialog> but not its modal methods; open and close are all the console uses.
if (typeof HTMLDialogElement !== 'undefined' && !('showModal' in HTMLDialogElement.prototype)) {
  Object.assign(HTMLDialogElement.prototype, {
    showModal(this: HTMLDialogElement) {
      this.setAttribute('open', '');
    },
    close(this: HTMLDialogElement) {
      this.removeAttribute('open');
    },
  });
}
