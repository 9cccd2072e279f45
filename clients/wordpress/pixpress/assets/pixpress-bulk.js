/**
 * Bulk pixpress: the buttons as AJAX calls, and ticks while the run is going. Without this file the
 * page still works: the buttons post the form and WP-Cron does the work.
 */
( function () {
	'use strict';

	var config = window.pixpressBulk;
	var form = document.getElementById( 'pixpress-bulk-form' );
	if ( ! config || ! form ) {
		return;
	}
	var ticking = false;
	var polling = null;
	// While a tick works (several images, seconds each), the status is asked for every POLL_MS, so the
	// bar moves as each image finishes rather than when the tick ends.
	var POLL_MS = 1500;

	function byId( id ) {
		return document.getElementById( id );
	}

	function post( action, fields ) {
		var body = new URLSearchParams();
		body.append( 'action', action );
		body.append( 'nonce', config.nonce );
		Object.keys( fields || {} ).forEach( function ( key ) {
			body.append( key, fields[ key ] );
		} );
		return fetch( config.ajaxUrl, {
			method: 'POST',
			credentials: 'same-origin',
			headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8' },
			body: body.toString()
		} ).then( function ( response ) {
			return response.json().then( function ( json ) {
				if ( ! response.ok || ! json || ! json.success ) {
					var message = json && json.data && json.data.message ? json.data.message : config.i18n.error;
					throw new Error( message );
				}
				return json.data;
			} );
		} );
	}

	function render( status ) {
		var state = status.state;
		var paused = [ 'paused', 'paused_quota', 'paused_error' ].indexOf( state ) !== -1;
		byId( 'pixpress-bulk' ).setAttribute( 'data-state', state );
		var label = byId( 'pixpress-bulk-state' );
		label.setAttribute( 'data-state', state );
		label.textContent = config.i18n.states[ state ] || state;
		var bar = byId( 'pixpress-bulk-progress' );
		bar.value = status.percent;
		bar.textContent = status.percent + '%';
		byId( 'pixpress-bulk-progress-text' ).textContent =
			config.i18n.of.replace( '%1$d', status.done ).replace( '%2$d', status.total ) + ' (' + status.percent + '%)';
		byId( 'pixpress-bulk-message' ).textContent = status.message || '';
		var saved = byId( 'pixpress-bulk-saved' );
		if ( saved && status.saved ) {
			saved.firstElementChild.textContent = status.saved;
		}
		var restore = byId( 'pixpress-bulk-restore' );
		if ( restore && status.counts ) {
			restore.disabled = ! status.counts.optimized;
		}
		byId( 'pixpress-bulk-start' ).disabled = state === 'running' || paused;
		byId( 'pixpress-bulk-pause' ).disabled = state !== 'running';
		byId( 'pixpress-bulk-resume' ).disabled = ! paused;
		Object.keys( status.counts || {} ).forEach( function ( key ) {
			var cell = byId( 'pixpress-count-' + key );
			if ( cell && typeof status.counts[ key ] === 'number' ) {
				cell.textContent = status.counts[ key ];
			}
		} );
		// The quota table (the last submit's quota) and the pause note follow the run too.
		Object.keys( status.quota || {} ).forEach( function ( key ) {
			var cell = byId( 'pixpress-quota-' + key );
			if ( cell ) {
				cell.textContent = status.quota[ key ];
			}
		} );
		var pausedNote = byId( 'pixpress-paused' );
		if ( pausedNote ) {
			pausedNote.hidden = ! status.pause;
		}
		if ( state === 'running' ) {
			tick();
		}
	}

	function poll() {
		polling = window.setTimeout( function () {
			post( 'pixpress_bulk_status' ).then( function ( status ) {
				if ( ticking ) {
					render( status ); // the tick's own answer comes later and wins
					poll();
				}
			} ).catch( function () {
				if ( ticking ) {
					poll();
				}
			} );
		}, POLL_MS );
	}

	function stopPolling() {
		window.clearTimeout( polling );
		polling = null;
	}

	function tick() {
		if ( ticking ) {
			return;
		}
		ticking = true;
		poll();
		post( 'pixpress_bulk_tick' ).then( function ( status ) {
			ticking = false;
			stopPolling();
			window.setTimeout( function () {
				render( status );
			}, 300 );
		} ).catch( function ( error ) {
			ticking = false;
			stopPolling();
			byId( 'pixpress-bulk-message' ).textContent = error.message;
			window.setTimeout( tick, 5000 );
		} );
	}

	var restoreForm = byId( 'pixpress-bulk-restore-form' );
	if ( restoreForm ) {
		restoreForm.addEventListener( 'submit', function ( event ) {
			if ( ! window.confirm( config.i18n.confirm ) ) {
				event.preventDefault();
			}
		} );
	}

	form.addEventListener( 'submit', function ( event ) {
		var button = event.submitter || document.activeElement;
		if ( ! button || ! button.value ) {
			return;
		}
		event.preventDefault();
		post( 'pixpress_bulk_control', { command: button.value } ).then( render ).catch( function ( error ) {
			byId( 'pixpress-bulk-message' ).textContent = error.message;
		} );
	} );

	render( config.status );
}() );
