package membrane_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"

	membrane "github.com/membrane-community/membrane-go"
)

// A workspace that knows a public key verifies tokens signed with its private key, even once it
// refuses secret-signed tokens.
func ExampleWorkspaceClaims_signer() {
	srv, client := newExampleClient()
	defer srv.Close()
	ctx := context.Background()
	ws, err := client.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{OrgID: srv.OrgID()})
	if err != nil {
		fmt.Println(err)
		return
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		fmt.Println(err)
		return
	}
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		fmt.Println(err)
		return
	}
	publicKeys := []membrane.PublicKey{{Name: "signing-2025", PublicKey: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}}
	_, err = client.OrgWorkspaces.Update(ctx, ws.ID, &membrane.UpdateOrgWorkspaceRequest{
		PublicKeys: membrane.Set(publicKeys),
		Settings:   membrane.Set(membrane.WorkspaceSettings{DisableSecretKeyAuth: membrane.Set(true)}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// No secret: the private key signs (ES256 for a P-256 key), and KeyID names its public key.
	wc, err := membrane.NewWorkspaceClient(
		membrane.WithBaseURL(ws.APIBaseURI),
		membrane.WithWorkspaceCredentials(ws.Key, "", membrane.WorkspaceClaims{Signer: key, KeyID: "signing-2025"}),
		membrane.WithHTTPClient(srv.HTTPClient()),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	cu, err := wc.Customers.Create(ctx, &membrane.CreateCustomerRequest{Name: "Globex"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cu.Name)
	// Output:
	// Globex
}
