/**
 * Media Library: the pixpress status on each tile of the grid view (from the model's `pixpress`
 * field), and the before/after slider (the original over the optimized image, clipped at the handle).
 */
( function () {
	'use strict';

	document.addEventListener( 'input', function ( event ) {
		var range = event.target;
		if ( ! range.classList || ! range.classList.contains( 'pixpress-compare-range' ) ) {
			return;
		}
		var box = range.closest( '.pixpress-compare' );
		var before = box && box.querySelector( '.pixpress-compare-before' );
		if ( before ) {
			before.style.clipPath = 'inset(0 ' + ( 100 - Number( range.value ) ) + '% 0 0)';
		}
	} );

	var media = window.wp && window.wp.media;
	if ( ! media || ! media.view || ! media.view.Attachment || ! media.view.Attachment.Library ) {
		return;
	}
	// The grid's tiles are Attachment.Library views; the browser view keeps a reference to the class,
	// so its prototype is wrapped rather than the class replaced.
	var Library = media.view.Attachment.Library;
	var render = Library.prototype.render;
	Library.prototype.render = function () {
		var result = render.apply( this, arguments );
		var info = this.model && this.model.get( 'pixpress' );
		if ( info && info.label ) {
			var badge = document.createElement( 'span' );
			badge.className = 'pixpress-badge';
			badge.setAttribute( 'data-status', info.status );
			badge.textContent = info.label;
			badge.title = [ info.label, info.detail, info.hint ].filter( Boolean ).join( ' \u2014 ' );
			this.el.appendChild( badge );
		}
		return result;
	};
}() );
