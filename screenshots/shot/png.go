package shot

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
)

// shrink writes the PNG in to out scaled down by factor, each pixel the mean of a
// factor x factor block, at the best compression.
func shrink(in, out string, factor int) error {
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	src, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	b := src.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx()/factor, b.Dy()/factor))
	n := uint32(factor * factor)
	for y := range dst.Rect.Dy() {
		for x := range dst.Rect.Dx() {
			// Premultiplied sums, so transparent pixels of the window's rounded corners
			// and shadow do not darken the edge.
			var r, g, bl, a uint32
			for dy := range factor {
				for dx := range factor {
					pr, pg, pb, pa := src.At(b.Min.X+x*factor+dx, b.Min.Y+y*factor+dy).RGBA()
					r, g, bl, a = r+pr, g+pg, bl+pb, a+pa
				}
			}
			i := dst.PixOffset(x, y)
			if a == 0 {
				continue
			}
			// Back from premultiplied to straight alpha for NRGBA.
			dst.Pix[i+0] = uint8(r * 0xff / a)
			dst.Pix[i+1] = uint8(g * 0xff / a)
			dst.Pix[i+2] = uint8(bl * 0xff / a)
			dst.Pix[i+3] = uint8(a / n >> 8)
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, dst); err != nil {
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	// A file freeze made earlier keeps its mode through WriteFile; the pictures are
	// committed and read by everyone.
	return os.Chmod(out, 0o644)
}
