import type { FormFile, FormRoute, MultipartForm } from '@app/chat';
import { InvalidRequestError, RASTER_IMAGE_TYPES, type JsonSchema } from '@app/contracts';
import {
  IMAGE_EDIT_FORM_SCHEMA,
  IMAGE_EDIT_FORM_SCHEMA_NAME,
  IMAGE_EDIT_SCHEMA,
  MAX_EDIT_IMAGES,
} from './images-request.schema';

/** The form fields that carry input images: `image` once, or `image[]` repeated (the SDKs' arrays). */
const IMAGE_FIELDS: ReadonlySet<string> = new Set(['image', 'image[]']);

const DECLARED = IMAGE_EDIT_SCHEMA.properties as Record<string, JsonSchema>;

/**
 * `POST /v1/images/edits` as OpenAI's `multipart/form-data` upload (what `client.images.edit`
 * sends): the image files become the JSON form's `images[].image_url` data URIs and the text
 * fields its typed values, so validation, translation and routing are the JSON form's own.
 */
export const IMAGE_EDIT_FORM: FormRoute = {
  files: { count: MAX_EDIT_IMAGES, param: 'image' },
  toBody: imageEditFromForm,
  schema: { name: IMAGE_EDIT_FORM_SCHEMA_NAME, schema: IMAGE_EDIT_FORM_SCHEMA },
};

/**
 * The edit form as the JSON edit body. Text fields take the type the JSON schema declares
 * (`n: "1"` is the integer 1, `stream: "false"` the boolean), so a form and a JSON body are
 * refused alike; a file under any other name is kept as a marker for the same refusals (`mask`,
 * an unknown field). Refused here, with `param`: no image, an image sent as text, a declared
 * text field sent as a file, a field sent twice, and an upload that is not a raster image.
 */
export function imageEditFromForm(form: MultipartForm): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const { name, value } of form.fields) {
    if (IMAGE_FIELDS.has(name)) {
      throw new InvalidRequestError(
        `${name} must be an uploaded image file, not a text field (for data: URIs, send JSON with images[].image_url).`,
        'image',
        'invalid_type',
      );
    }
    refuseJsonImages(name);
    if (Object.hasOwn(body, name)) {
      throw new InvalidRequestError(
        `The form field '${name.slice(0, 64)}' is sent more than once.`,
        name.slice(0, 256),
        'invalid_value',
      );
    }
    body[name] = typed(name, value);
  }
  const images = form.files.filter((file) => IMAGE_FIELDS.has(file.field));
  for (const file of form.files) {
    if (IMAGE_FIELDS.has(file.field)) {
      continue;
    }
    refuseJsonImages(file.field);
    if (Object.hasOwn(DECLARED, file.field)) {
      throw new InvalidRequestError(
        `${file.field} must be a text field, not a file.`,
        file.field,
        'invalid_type',
      );
    }
    body[file.field] ??= { file: file.filename ?? null };
  }
  if (images.length === 0) {
    throw new InvalidRequestError(
      'image is required: upload the image(s) to edit as `image` (or repeated `image[]`) files.',
      'image',
      'missing_required_parameter',
    );
  }
  body.images = images.map((file, index) => ({
    image_url: dataUri(file, images.length === 1 ? 'image' : `image[${index}]`),
  }));
  return body;
}

function refuseJsonImages(name: string): void {
  if (name === 'images') {
    throw new InvalidRequestError(
      'images is the JSON form of this request; in multipart/form-data, upload the images as `image` files.',
      'images',
      'unsupported_parameter',
    );
  }
}

/** A form value as the type the JSON schema declares for it; left a string when it is not one. */
function typed(name: string, value: string): unknown {
  const declared = DECLARED[name]?.type;
  const types = Array.isArray(declared) ? (declared as unknown[]) : [declared];
  if (types.includes('integer') && /^-?\d{1,15}$/.test(value)) {
    return Number(value);
  }
  if (types.includes('boolean') && (value === 'true' || value === 'false')) {
    return value === 'true';
  }
  return value;
}

/**
 * An uploaded image as a base64 `data:` URI. The part must declare a raster image type or none
 * (`application/octet-stream`, as `toFile` without a type sends); the bytes decide the type where
 * they are PNG, JPEG, WebP or GIF, and must be one of those unless the part declares another
 * raster type.
 */
function dataUri(file: FormFile, param: string): string {
  const declared = file.mimeType.toLowerCase();
  const [kind, subtype] = declared.split('/', 2);
  const generic = declared === 'application/octet-stream';
  const name = file.filename ? ` (${file.filename.slice(0, 64)})` : '';
  if (!generic && !(kind === 'image' && RASTER_IMAGE_TYPES.includes(subtype))) {
    throw new InvalidRequestError(
      `${param}${name} is ${declared.slice(0, 64)}: upload a raster image (image/png, image/jpeg, image/webp, …).`,
      param,
      'invalid_image_data',
    );
  }
  const type =
    file.data.length === 0
      ? null
      : (sniffImageType(file.data) ?? (generic || SNIFFED.has(subtype) ? null : subtype));
  if (type === null) {
    throw new InvalidRequestError(
      `${param}${name} is not an image: expected PNG, JPEG, WebP or GIF data.`,
      param,
      'invalid_image_data',
    );
  }
  return `data:image/${type};base64,${file.data.toString('base64')}`;
}

/** The types {@link sniffImageType} recognises (and so checks, whatever the part declares). */
const SNIFFED: ReadonlySet<string> = new Set(['png', 'jpeg', 'jpg', 'webp', 'gif']);

/** The image type by its signature bytes: PNG, JPEG, WebP, GIF; otherwise `undefined`. */
export function sniffImageType(data: Buffer): string | undefined {
  if (data.subarray(0, 8).equals(PNG_SIGNATURE)) {
    return 'png';
  }
  if (data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) {
    return 'jpeg';
  }
  if (data.toString('latin1', 0, 4) === 'RIFF' && data.toString('latin1', 8, 12) === 'WEBP') {
    return 'webp';
  }
  const gif = data.toString('latin1', 0, 6);
  return gif === 'GIF87a' || gif === 'GIF89a' ? 'gif' : undefined;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
